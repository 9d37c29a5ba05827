// Worker of examples/09-cancel-from-thread.ts: cancels the shared token after a while.
// Plain JavaScript (worker threads load compiled code), importing the package as a user would.
import { workerData } from 'node:worker_threads';
import { SharedCancelationToken } from 'cancelable-ts/worker';

const token = SharedCancelationToken.from(workerData.token);
// Block this thread (not the main one) for a while, like synchronous work would.
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.delayMs);
console.log(`  [worker] cancelling token ${token.id.slice(0, 8)} from another thread`);
token.cancelSync('Cancelled from thread');
