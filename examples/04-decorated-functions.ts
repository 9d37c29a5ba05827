/**
 * 04 — Decorated functions: `cancelable(options)` wraps a function (or decorates a method) so that
 * each call runs in its own scope, with its own timeout.
 * Run: npx tsx examples/04-decorated-functions.ts
 */
import { Cancelable, cancelable, isCancelation } from 'cancelable-ts';

// The wrapped function gets its scope first; callers do not pass it.
const slowOperation = cancelable({ timeout: 200, name: 'slow_operation' }, async (scope, ms: number) => {
  await scope.sleep(ms);
  return `done after ${ms} ms`;
});

console.log(`  Result: ${await slowOperation(100)}`); // completes
try {
  console.log(`  Result: ${await slowOperation(500)}`); // times out
} catch (error) {
  if (!isCancelation(error)) throw error;
  console.log(`  Operation was cancelled! (${(error as Error).message})`);
}

// TypeScript 5 (standard) decorators: each call of the method runs in its own scope.
class ReportService {
  @cancelable({ timeout: 150 })
  async build(pages: number): Promise<string> {
    const scope = Cancelable.current()!;
    for (let page = 1; page <= pages; page++) await scope.sleep(40);
    return `report with ${pages} pages`;
  }
}

const service = new ReportService();
console.log(`  Method result: ${await service.build(2)}`);
try {
  await service.build(10);
} catch (error) {
  if (!isCancelation(error)) throw error;
  console.log(`  Method call was cancelled! (${(error as Error).message})`);
}
