/**
 * Child process of examples/20-child-processes.ts: its scope is linked to the parent's scope, so it is
 * cancelled with the parent's reason and message (or when the parent dies). Its run() value is the
 * parent's fork() result.
 */
import { isCancelationError } from 'cancelable-ts';
import { fromParentProcess } from 'cancelable-ts/process';

const files = Number(process.argv[2] ?? '5');
try {
  const result = await fromParentProcess({ name: 'converter' }).run(async (scope) => {
    for (let i = 1; i <= files; i++) {
      await scope.sleep(40);
      console.log(`    [child ${process.pid}] converted file ${i}/${files}`);
    }
    return { converted: files };
  });
  console.log(`    [child] done: ${JSON.stringify(result)}`);
} catch (error) {
  if (!isCancelationError(error)) throw error;
  console.log(`    [child] cancelled by the parent (${error.reason}: ${error.message}); cleaning up`);
}
