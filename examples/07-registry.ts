/**
 * 07 — Operation registry: registered operations can be listed, looked up and cancelled from
 * anywhere in the process (an admin endpoint, a signal handler, the `cancelable` CLI).
 * Run: npx tsx examples/07-registry.ts
 */
import { Cancelable, OperationRegistry, isCancelationError } from 'cancelable-ts';

const registry = OperationRegistry.default;

async function download(name: string, ms: number): Promise<void> {
  try {
    await new Cancelable({ name, register: true }).run(async (scope) => {
      for (let done = 25; done <= 100; done += 25) {
        await scope.sleep(ms / 4);
        scope.reportProgress(`${done}%`);
      }
    });
    console.log(`  ${name}: completed`);
  } catch (error) {
    if (!isCancelationError(error)) throw error;
    console.log(`  ${name}: cancelled (${error.message})`);
  }
}

const jobs = [download('download-a', 40), download('download-b', 2_000), download('upload-c', 2_000)];
await new Promise((resolve) => setTimeout(resolve, 90));

console.log('Active operations:');
for (const op of registry.list({ status: 'running' })) {
  console.log(`  ${op.id.slice(0, 8)}  ${op.name.padEnd(11)} ${op.status}  progress=${op.progress?.message ?? '-'}`);
}

const [upload] = registry.list({ name: 'upload-c' });
console.log(`Cancel upload-c by id: ${registry.cancel(upload!.id, 'Cancelled by the admin')}`);
console.log(`Cancel every download: ${registry.cancelAll({ name: /^download-/ }, 'Shutting down')} operation(s)`);
await Promise.all(jobs);

const stats = registry.stats();
console.log(`Stats: started=${stats.started} completed=${stats.byStatus.completed} cancelled=${stats.byStatus.cancelled} active=${stats.active}`);
console.log('History (newest first):');
for (const op of registry.history({ limit: 3 })) console.log(`  ${op.name.padEnd(11)} ${op.status} (${op.cancelMessage ?? 'ok'})`);
