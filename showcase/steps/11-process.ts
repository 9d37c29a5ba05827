import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';
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
  pitch: 'scope.spawn() ties a process to the scope: SIGTERM on cancellation, SIGKILL after the grace.',
  async run() {
    const start = performance.now();
    try {
      await Cancelable.withTimeout(300, { name: 'encode-video' }).run(async (scope) => {
        const encoding = scope.spawn(process.execPath, ['-e', childScript]);
        // Show the child's output as it comes (the readline interface closes with the child's stdout).
        createInterface({ input: encoding.child!.stdout! }).on('line', (line) => say(`${dim('child │')} ${line}`));
        await encoding;
      });
    } catch (error) {
      if (!(error instanceof TimeoutCancelation)) throw error;
      ok(`the 300 ms timeout stopped the child; run() settled after ${since(start)}, once the child had exited`);
    }
  },
};
