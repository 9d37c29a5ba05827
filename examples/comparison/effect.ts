/**
 * Comparison — Effect 3's Effect.timeout vs cancelable's withTimeout(): both interrupt the work on
 * time; Effect needs the whole program written as Effects, a scope wraps ordinary async functions.
 * Run: npx tsx examples/comparison/effect.ts
 */
import { Duration, Effect } from 'effect';
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';

const job = Effect.sleep(Duration.seconds(1)).pipe(Effect.as('done'));
const program = job.pipe(Effect.timeout(Duration.millis(100)));
const started = Date.now();
await Effect.runPromise(program).catch((error: unknown) => {
  console.log(`effect: ${String(error).split('\n')[0]} after ~${Math.round((Date.now() - started) / 100) * 100} ms`);
});

const again = Date.now();
await Cancelable.withTimeout(100)
  .run(async (scope) => {
    await scope.sleep(1_000);
    return 'done';
  })
  .catch((error: unknown) => {
    if (!(error instanceof TimeoutCancelation)) throw error;
    console.log(`cancelable: ${error.name} after ~${Math.round((Date.now() - again) / 100) * 100} ms`);
  });
