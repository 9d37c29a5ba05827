// PLACEHOLDER — owned by the threads work (issue 7); replaced by the real implementation.
import type { Cancelable } from '../core/scope.js';

/** Options of `scope.runInWorker`. */
export interface RunInWorkerOptions {
  workerData?: unknown;
  graceMs?: number;
}

/** Runs a worker file tied to `scope`. */
export function runInWorker<R>(_scope: Cancelable, _file: string | URL, _options?: RunInWorkerOptions): Promise<R> {
  return Promise.reject(new Error('runInWorker is not implemented yet'));
}
