import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Cancelable, type CancelableOptions } from '../core/scope.js';
import { checkFunction, checkOptions, describeValue } from '../core/validate.js';
import {
  ENVELOPE_KEY,
  PROTOCOL_VERSION,
  RESULT_TYPE,
  serializeError,
  type ResultMessage,
  type WorkerEnvelope,
} from './protocol.js';
import { SharedCancelationToken } from './shared-token.js';

/** What a worker's main function gets after its scope and data. */
export interface WorkerContext {
  /**
   * The shared token linked to the caller's scope. Poll `token.isCancelled` (or
   * `token.throwIfCancelled()`) in CPU-bound code: it reads shared memory, so it sees the caller's
   * cancel without yielding to the event loop.
   */
  readonly token: SharedCancelationToken;
  /** The worker file as the caller named it. */
  readonly file: string;
}

/** The body of a worker started by `scope.runInWorker()`. */
export type WorkerMainFunction<D, R> = (scope: Cancelable, workerData: D, context: WorkerContext) => R | PromiseLike<R>;

let started = false;

/**
 * The entry point of a worker file run by `scope.runInWorker(file, { workerData })`: runs `fn` in a
 * scope linked to the caller's (cancelled with the caller's reason and message when the caller's
 * scope is cancelled) and sends its value, or its error with its stack, back as `runInWorker`'s
 * outcome. Call it once, at the top of the worker file. The returned promise never rejects; it
 * resolves once the outcome is posted. The worker then ends when its event loop is empty (the caller
 * terminates it if it has not `graceMs` later).
 *
 * @example
 * ```ts
 * // crunch.worker.ts (compiled to crunch.worker.js)
 * import { workerMain } from 'cancelable-ts/worker';
 *
 * void workerMain(async (scope, data: { n: number }, { token }) => {
 *   let sum = 0;
 *   for (let i = 0; i < data.n; i++) {
 *     if (i % 1024 === 0) token.throwIfCancelled(); // CPU-bound: no await needed to see a cancel
 *     sum += i;
 *   }
 *   return sum;
 * });
 * ```
 */
export function workerMain<D = unknown, R = unknown>(
  fn: WorkerMainFunction<D, R>,
  options?: CancelableOptions,
): Promise<void> {
  checkFunction('fn', fn);
  checkOptions('options', options);
  const port = parentPort;
  if (isMainThread || port === null) {
    throw new TypeError('workerMain() must be called in a worker thread started by scope.runInWorker()');
  }
  const envelope = readEnvelope(workerData);
  if (started) throw new TypeError('workerMain() was already called in this worker; call it once');
  started = true;
  const token = SharedCancelationToken.from(envelope[ENVELOPE_KEY].token);
  const context: WorkerContext = { token, file: envelope[ENVELOPE_KEY].file };
  const scope = Cancelable.withToken(token, { name: 'worker', ...options, parent: null });
  const data = envelope.data as D;
  return scope.run((s) => fn(s, data, context)).then(
    (value) => post(port, { type: RESULT_TYPE, ok: true, value }),
    (error: unknown) => post(port, { type: RESULT_TYPE, ok: false, error: serializeError(error) }),
  );
}

function post(port: NonNullable<typeof parentPort>, message: ResultMessage): void {
  try {
    port.postMessage(message);
  } catch (error) {
    // The value (or an error's data) could not be cloned: send that failure instead.
    const failure = new TypeError(
      `The worker's ${message.ok ? 'result' : 'error'} could not be sent to the calling thread: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
    port.postMessage({ type: RESULT_TYPE, ok: false, error: serializeError(failure) } satisfies ResultMessage);
  }
}

function readEnvelope(data: unknown): WorkerEnvelope {
  const inner = (data as Partial<WorkerEnvelope> | null | undefined)?.[ENVELOPE_KEY];
  if (typeof inner !== 'object' || inner === null || !SharedCancelationToken.isTokenBuffer(inner.token)) {
    throw new TypeError(
      `workerMain() must run in a worker started by scope.runInWorker(); this worker's workerData is ${describeValue(data)}`,
    );
  }
  if (inner.version !== PROTOCOL_VERSION) {
    throw new TypeError(
      `workerMain(): the calling thread speaks protocol version ${String(inner.version)}, this copy of cancelable speaks ${PROTOCOL_VERSION}`,
    );
  }
  return data as WorkerEnvelope;
}
