/**
 * 02 — Timeout: an operation that takes longer than its budget is cancelled, and the scope's
 * context tells how and when.
 * Run: npx tsx examples/02-timeout.ts
 */
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';

const scope = Cancelable.withTimeout(200, { name: 'timeout_example' });
scope.onProgress((_id, message) => console.log(`  Progress: ${message}`));

try {
  await scope.run(async (scope) => {
    scope.reportProgress('Starting operation');
    await scope.sleep(1_000); // this will time out
    scope.reportProgress("This won't be reached");
  });
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  const ctx = scope.context;
  console.log(`  Operation timed out after ${((ctx.durationMs ?? 0) / 1000).toFixed(2)}s`);
  console.log(`  Final status: ${ctx.status}`);
  console.log(`  Cancel reason: ${ctx.cancelReason}`);
  console.log(`  Error: ${error.name} (timeoutMs=${error.timeoutMs}): ${error.message}`);
}
