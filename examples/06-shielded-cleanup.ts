/**
 * 06 — Shielded cleanup: the work is cancelled, but the cleanup in the shield runs to the end, and
 * run() waits for it. A shield carries its own timeout, so it cannot hang forever.
 * Run: npx tsx examples/06-shielded-cleanup.ts
 */
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';

const log = (message: string): void => console.log(`  [${String(Math.round(performance.now() - t0)).padStart(4)} ms] ${message}`);
const t0 = performance.now();

try {
  await Cancelable.withTimeout(100, { name: 'with_cleanup' }).run(async (scope) => {
    try {
      log('processing data...');
      await scope.sleep(1_000);
    } finally {
      await scope.shield(
        async (shielded) => {
          log('cleanup: releasing resources (shielded)');
          await shielded.sleep(150); // longer than the 100 ms grace: the shield keeps run() waiting
          log('cleanup: done');
        },
        { timeout: 1_000 },
      );
    }
  });
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  log(`run() rejected with ${error.name} after the cleanup`);
}

// A cleanup that hangs is stopped by the shield's own timeout.
try {
  await Cancelable.withTimeout(50, { name: 'stuck' }).run(async (scope) => {
    try {
      await scope.sleep(1_000);
    } finally {
      await scope
        .shield((shielded) => shielded.sleep(5_000), { timeout: 60, name: 'stuck-cleanup' })
        .catch((error: unknown) => log(`the stuck cleanup was stopped by its own timeout: ${(error as Error).message}`));
    }
  });
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  log(`run() rejected with ${error.name}: ${error.message}`);
}
