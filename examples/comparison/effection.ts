/**
 * Comparison — Effection 3 vs cancelable: a timeout around a job, with cleanup that must run.
 * Effection uses generators (yield*) and halts the losing branch; cancelable keeps async/await and
 * rejects the awaits the scope hands out.
 * Run: npx tsx examples/comparison/effection.ts
 */
import { type Operation, race, run, sleep } from 'effection';
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';

// Effection: race the job against a timer; the loser is halted and its finally runs.
function* job(): Operation<string> {
  try {
    yield* sleep(1_000);
    return 'done';
  } finally {
    console.log('effection: job cleanup ran');
  }
}
function* timeout(ms: number): Operation<string> {
  yield* sleep(ms);
  return 'timed out';
}
const outcome = await run(() => race([job(), timeout(100)]));
console.log(`effection: ${outcome}`);

// cancelable: the same with async/await; the cleanup is shielded so it can itself await.
try {
  await Cancelable.withTimeout(100).run(async (scope) => {
    try {
      await scope.sleep(1_000);
      return 'done';
    } finally {
      await scope.shield(() => console.log('cancelable: job cleanup ran'));
    }
  });
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`cancelable: ${error.message}`);
}
