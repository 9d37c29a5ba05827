/**
 * 14 — Resource monitoring: cancel when memory, CPU or disk usage crosses a threshold. The samplers
 * can be replaced to watch something else, here the process's own heap against a budget.
 * Run: npx tsx examples/14-resource-monitoring.ts
 */
import { Cancelable, ConditionCancelation } from 'cancelable-ts';
import { ResourceConditionSource, systemResourceSamplers } from 'cancelable-ts/process';

// 1. The system guard: thresholds this machine is far from, checked while the job runs.
const memory = systemResourceSamplers.memoryPercent();
const disk = await systemResourceSamplers.diskPercent(process.cwd());
console.log(`System now: memory ${memory.toFixed(1)}%, disk ${disk.toFixed(1)}%`);
const guard = new ResourceConditionSource({ memoryPercent: 99.9, diskPercent: 99.9, intervalMs: 50, name: 'system guard' });
await new Cancelable({ name: 'file_processor', sources: [guard] }).run(async (scope) => {
  await scope.sleep(150);
});
console.log('  file_processor completed: no threshold reached');

// 2. An application budget: the "memory" read is this process's heap against a 32 MB allowance.
const budget = process.memoryUsage().heapUsed + 32 * 1024 * 1024;
const heapGuard = new ResourceConditionSource({
  memoryPercent: 100,
  intervalMs: 20,
  name: 'heap budget',
  samplers: { memoryPercent: () => (process.memoryUsage().heapUsed / budget) * 100 },
});
const cache: number[][] = [];
try {
  await new Cancelable({ name: 'cache_warmup', sources: [heapGuard] }).run(async (scope) => {
    for (;;) {
      cache.push(new Array<number>(256 * 1024).fill(cache.length)); // ~2 MB per entry
      await scope.sleep(5);
    }
  });
} catch (error) {
  if (!(error instanceof ConditionCancelation)) throw error;
  console.log(`  cache_warmup stopped after ${cache.length} entries: ${error.message}`);
}
