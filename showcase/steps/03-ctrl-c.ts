import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Step } from '../step.js';
import { bad, dim, explain, ok, say, since } from '../ui.js';

const child = fileURLToPath(new URL('../children/graceful-server.ts', import.meta.url));

export const step: Step = {
  title: 'Ctrl+C handled gracefully, with shielded cleanup',
  pitch: 'Cancelable.withSignal turns SIGINT into a cancellation; the cleanup runs in a shield.',
  async run() {
    explain('The showcase starts a small server in a child process and presses "Ctrl+C" (sends SIGINT) for it.');
    const server = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    // A watchdog: the tour must never hang on a child.
    const watchdog = setTimeout(() => {
      bad('the child did not stop within 10 s; killing it');
      server.kill('SIGKILL');
    }, 10_000);
    let sentAt = 0;
    const lines = createInterface({ input: server.stdout });
    lines.on('line', (line) => {
      say(`${dim('child │')} ${line}`);
      if (line.startsWith('listening')) {
        setTimeout(() => {
          say('[Ctrl+C] sending SIGINT to the child');
          sentAt = performance.now();
          server.kill('SIGINT');
        }, 200);
      }
    });
    try {
      const code = await exited;
      if (code !== 0) throw new Error(`the child exited with code ${code}`);
      ok(`the child exited with code 0, ${since(sentAt)} after SIGINT (150 ms of it saving state)`);
    } finally {
      clearTimeout(watchdog);
      lines.close();
    }
  },
};
