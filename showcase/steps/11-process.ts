import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Cancelable, ConditionCancelation } from 'cancelable-ts';
import { spawn } from 'cancelable-ts/process';
import type { Step } from '../step.js';
import { dim, ok, say, since } from '../ui.js';

// A child that works until it is told to stop, and cleans up on SIGTERM.
const childScript = `
let frames = 0;
const timer = setInterval(() => console.log('encoded frame ' + ++frames), 60);
process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log('SIGTERM: flushing the output file, exiting');
  process.exit(0);
});`;

export const step: Step = {
  title: 'A child process cancelled',
  pitch: 'spawn() ties a process to the scope: SIGTERM on cancellation, SIGKILL after the grace.',
  async run() {
    const start = performance.now();
    let frames = 0;
    // Cancelled once three frames are out (a condition, so the demo does not depend on how fast the
    // machine starts a process); a timeout or a Stop button works the same way.
    const scope = Cancelable.withCondition(() => frames >= 3, 20, { name: 'encode-video', conditionName: 'three frames encoded' });
    try {
      await scope.run(async () => {
        const encoding = spawn(process.execPath, ['-e', childScript]);
        // Show the child's output as it comes (the readline interface closes with the child's stdout).
        createInterface({ input: encoding.child!.stdout! }).on('line', (line) => {
          if (line.startsWith('encoded frame')) frames++;
          say(`${dim('child │')} ${line}`);
        });
        await encoding;
      });
    } catch (error) {
      if (!(error instanceof ConditionCancelation)) throw error;
      ok(`'${error.conditionName}' stopped the child with SIGTERM; run() settled after ${since(start)}, once the child had exited`);
    }
  },
};
