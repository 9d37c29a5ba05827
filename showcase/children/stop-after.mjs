// Worker thread of the showcase's stream step: it sleeps (blocking its own thread, not the main
// one), then cancels the shared token it was given. Plain JS: worker threads cannot load .ts here.
import { workerData } from 'node:worker_threads';
import { SharedCancelationToken } from 'cancelable-ts/worker';

const token = SharedCancelationToken.from(workerData.buffer);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.afterMs);
token.cancelSync(`Stopped from a worker thread after ${workerData.afterMs} ms`);
