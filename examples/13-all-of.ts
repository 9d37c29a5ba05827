/**
 * 13 — All-of: cancel only once EVERY condition has happened (each counted once), e.g. "at least
 * 200 ms have passed AND we have 5 results"; any-of is the usual "first one wins".
 * Run: npx tsx examples/13-all-of.ts
 */
import { AllOfSource, AnyOfSource, Cancelable, CancelationToken, TimeoutSource, isCancelationError } from 'cancelable-ts';

const enoughResults = new CancelationToken();
const minimumTime = new TimeoutSource(200);
const search = new Cancelable({
  name: 'search',
  sources: [new AllOfSource([minimumTime, enoughResults])],
});

const results: number[] = [];
const start = performance.now();
try {
  await search.run(async (scope) => {
    for (let i = 1; ; i++) {
      await scope.sleep(30);
      results.push(i);
      if (results.length === 5) {
        console.log(`  5 results after ${Math.round(performance.now() - start)} ms: the token fires, the timeout has not yet`);
        enoughResults.cancelSync('Enough results');
      }
    }
  });
} catch (error) {
  if (!isCancelationError(error)) throw error;
  console.log(`  Search stopped after ${Math.round(performance.now() - start)} ms with ${results.length} results`);
  console.log(`  reason=${error.reason}: ${error.message}`);
}

// Any-of, for comparison: the first source wins with its own reason.
const stop = new CancelationToken();
setTimeout(() => stop.cancelSync('User stopped'), 50);
try {
  await new Cancelable({ sources: [new AnyOfSource([new TimeoutSource(500), stop])] }).run((scope) => scope.sleep(5_000));
} catch (error) {
  if (!isCancelationError(error)) throw error;
  console.log(`  any-of stopped: reason=${error.reason}: ${error.message}`);
}
