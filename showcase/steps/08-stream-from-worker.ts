import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Cancelable, ManualCancelation } from 'cancelable-ts';
import { SharedCancelationToken } from 'cancelable-ts/worker';
import type { Step } from '../step.js';
import { explain, ok, say, since } from '../ui.js';

/** A sensor feed that never ends by itself, and waits a while between readings. */
async function* readings(): AsyncGenerator<number> {
  for (let i = 0; ; i++) {
    await new Promise((resolve) => setTimeout(resolve, 40));
    yield Math.round(20 + 5 * Math.sin(i / 3));
  }
}

export const step: Step = {
  title: 'A stream cancelled from a worker thread',
  pitch: 'A SharedCancelationToken lives in shared memory: any thread can cancel it, no message needed.',
  async run() {
    const token = new SharedCancelationToken();
    const worker = new Worker(new URL('../children/stop-after.mjs', import.meta.url), {
      workerData: { buffer: token.buffer, afterMs: 230 },
    });
    const exited = once(worker, 'exit');
    const start = performance.now();
    let count = 0;
    try {
      await Cancelable.withToken(token, { name: 'sensor-feed' }).run(async (scope) => {
        for await (const celsius of scope.stream(readings())) {
          count++;
          say(`reading ${count}: ${celsius} °C`);
        }
      });
    } catch (error) {
      if (!(error instanceof ManualCancelation)) throw error;
      ok(`"${error.message}": the pending next() rejected at ${since(start)}, after ${count} readings`);
    } finally {
      await exited;
    }
    explain('The stream was waiting for its next reading when the token flipped; the generator was closed.');
  },
};
