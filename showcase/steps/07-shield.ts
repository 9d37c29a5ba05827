import { performance } from 'node:perf_hooks';
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';
import type { Step } from '../step.js';
import { explain, ok, say, since } from '../ui.js';

export const step: Step = {
  title: 'A shield',
  pitch: 'Cleanup that must finish runs in a shield: the cancellation waits for it, with a bound of its own.',
  async run() {
    const start = performance.now();
    let saved = false;
    try {
      await Cancelable.withTimeout(100, { name: 'transfer' }).run(async (scope) => {
        try {
          say('copying files...');
          await scope.sleep(5_000);
        } finally {
          await scope.shield(
            async (shielded) => {
              say(`timeout at ${since(start)}; committing the journal (200 ms, longer than the grace)...`);
              await shielded.sleep(200);
              saved = true;
            },
            { timeout: 1_000 },
          );
        }
      });
    } catch (error) {
      if (!(error instanceof TimeoutCancelation)) throw error;
      ok(`run() rejected after ${since(start)}, once the shield finished (journal committed: ${saved})`);
    }
    explain('Shield only the cleanup, never the whole job, and give it a timeout: a shield without bounds can hang.');
  },
};
