import { performance } from 'node:perf_hooks';
import { Cancelable, DEFAULT_GRACE_MS, TimeoutCancelation } from 'cancelable-ts';
import type { Step } from '../step.js';
import { explain, ok, say, since } from '../ui.js';

export const step: Step = {
  title: 'A timeout that really fires',
  pitch: 'JavaScript cannot interrupt an await, so every await the scope hands out rejects on time.',
  async run() {
    let start = performance.now();
    try {
      await Cancelable.withTimeout(150, { name: 'slow-call' }).run(async (scope) => {
        say('waiting 5 s with scope.sleep() under a 150 ms timeout...');
        await scope.sleep(5_000);
      });
    } catch (error) {
      if (!(error instanceof TimeoutCancelation)) throw error;
      ok(`${error.name} after ${since(start)}: "${error.message}"`);
    }

    explain(`A body that ignores the signal cannot hold run() hostage: it gets a grace of ${DEFAULT_GRACE_MS} ms.`);
    let stubborn: NodeJS.Timeout | undefined;
    start = performance.now();
    try {
      await Cancelable.withTimeout(150, { name: 'stubborn' }).run(async () => {
        // A promise that knows nothing about cancellation (an old callback API, say).
        await new Promise<void>((resolve) => (stubborn = setTimeout(resolve, 3_000)));
      });
    } catch (error) {
      if (!(error instanceof TimeoutCancelation)) throw error;
      ok(`run() rejected after ${since(start)} (150 ms timeout + ${DEFAULT_GRACE_MS} ms grace); the 3 s promise was abandoned`);
    } finally {
      clearTimeout(stubborn);
    }
  },
};
