import { isMainThread, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Cancelable } from '../cancelable.js';
import { checkFunction, checkOptions, serializeError, type CancelableOptions } from '../core/index.js';
import { isEnvelope, PROTOCOL_VERSION, RESULT_TYPE, type ResultMessage, type WorkerEnvelope } from './protocol.js';
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

/** The body of a worker started by `runInWorker()`. */
export type WorkerMainFunction<D, R> = (scope: Cancelable, workerData: D, context: WorkerContext) => R | PromiseLike<R>;

let started = false;

/**
 * The entry point of a worker file run by `runInWorker(file, { workerData })`: runs `fn` in a scope
 * linked to the caller's (cancelled with the caller's reason and message when the caller's scope is
 * cancelled) and sends its value, or its error with its stack, back as `runInWorker`'s outcome. Call it
 * once, at the top of the worker file, before listening on `parentPort`. `workerData` (from
 * `node:worker_threads`, and `fn`'s second argument) is the caller's own. The returned promise never
 * rejects; it resolves once the outcome is posted. The worker then ends when its event loop is empty
 * (the caller terminates it if it has not `graceMs` later).
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
export function workerMain<D = unknown, R = unknown>(fn: WorkerMainFunction<D, R>, options?: CancelableOptions): Promise<void> {
  checkFunction('fn', fn);
  checkOptions('options', options);
  const port = parentPort;
  if (isMainThread || port === null) {
    throw new TypeError('workerMain() must be called in a worker thread started by runInWorker()');
  }
  if (started) throw new TypeError('workerMain() was already called in this worker; call it once');
  const envelope = readEnvelope(receiveMessageOnPort(port)?.message);
  started = true;
  const token = SharedCancelationToken.from(envelope.token);
  const context: WorkerContext = { token, file: envelope.file };
  const scope = Cancelable.withToken(token, { name: 'worker', ...options, parent: null });
  return scope.run((s) => fn(s, workerData as D, context)).then(
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

function readEnvelope(message: unknown): WorkerEnvelope {
  if (!isEnvelope(message) || !SharedCancelationToken.isTokenBuffer(message.token)) {
    throw new TypeError(
      'workerMain() must run in a worker started by runInWorker() and be called before anything reads parentPort',
    );
  }
  if (message.version !== PROTOCOL_VERSION) {
    throw new TypeError(
      `workerMain(): the calling thread speaks protocol version ${String(message.version)}, this copy of cancelable speaks ${PROTOCOL_VERSION}`,
    );
  }
  return message;
}
