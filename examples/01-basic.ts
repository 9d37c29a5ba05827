/**
 * 01 — Basic: a named scope that runs a body, reports progress and completes.
 * Run: npx tsx examples/01-basic.ts
 */
import { Cancelable } from 'cancelable-ts';

const scope = new Cancelable({ name: 'basic_example', metadata: { owner: 'examples' } })
  .onStart((ctx) => console.log(`Started '${ctx.name}' (${ctx.id.slice(0, 8)})`))
  .onProgress((_id, message) => console.log(`  Progress: ${message}`))
  .onComplete((ctx) => console.log(`Completed '${ctx.name}' in ${ctx.durationMs?.toFixed(0)} ms`));

const total = await scope.run(async (scope) => {
  let sum = 0;
  for (let step = 1; step <= 3; step++) {
    await scope.sleep(20); // every await the scope hands out is cancelable
    sum += step;
    scope.reportProgress(`Step ${step}/3`, { step });
  }
  return sum;
});

console.log(`Result: ${total}`);
console.log(`Final status: ${scope.context.status}`);
