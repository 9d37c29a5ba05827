/**
 * 15 — Shared context: several functions bound to ONE scope with withCancelable(); they share its
 * timeout and reach it with Cancelable.current() (no scope parameter to thread through).
 * Run: npx tsx examples/15-shared-context.ts
 */
import { Cancelable, TimeoutCancelation, withCancelable } from 'cancelable-ts';

const pipeline = Cancelable.withTimeout(1_000, { name: 'data_pipeline' }).onProgress((_id, message) =>
  console.log(`  progress: ${message}`),
);

const fetchData = withCancelable(pipeline, async (scope, source: string) => {
  scope.reportProgress(`Fetching data from ${source}`);
  await scope.sleep(40);
  return { source, records: 1000, validated: false };
});

const validateData = withCancelable(pipeline, async (_scope, data: { source: string; records: number; validated: boolean }) => {
  Cancelable.current()?.reportProgress('Validating data quality'); // the bound scope is the current one
  await Cancelable.current()!.sleep(30);
  return { ...data, validated: true };
});

const saveData = withCancelable(pipeline, async (scope, data: { records: number }) => {
  scope.reportProgress('Saving to database');
  await scope.sleep(20);
  return `Saved ${data.records} records successfully`;
});

console.log('=== Shared pipeline ===');
const result = await pipeline.run(async () => saveData(await validateData(await fetchData('API'))));
console.log(`✓ Pipeline completed: ${result}`);

console.log('=== Shared timeout ===');
const shared = Cancelable.withTimeout(120, { name: 'concurrent_tasks' });
const task = (name: string, ms: number) =>
  withCancelable(shared, async (scope) => {
    await scope.sleep(ms);
    console.log(`  ${name} completed`);
    return name;
  });
try {
  await shared.run(() => Promise.all([task('Task A', 50)(), task('Task B', 80)(), task('Task C', 400)()]));
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`✗ Tasks cancelled due to shared timeout (${shared.context.cancelReason}: ${error.message})`);
}
