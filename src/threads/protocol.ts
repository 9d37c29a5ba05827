/**
 * What `runInWorker` and `workerMain` say to each other. Right after starting the worker, the calling
 * thread posts one envelope (the shared token's buffer, the file's label); the worker takes it off its
 * port synchronously in `workerMain()` and later posts one result message. Both carry a marker so they
 * never mix with the user's own messages, and the worker's `workerData` is the user's own.
 */
import type { SerializedError } from '../core/index.js';

export const PROTOCOL_VERSION = 2;
export const ENVELOPE_TYPE = 'cancelable:worker-envelope';
export const RESULT_TYPE = 'cancelable:worker-result';

/** @internal The first message a `runInWorker` worker receives. */
export interface WorkerEnvelope {
  type: typeof ENVELOPE_TYPE;
  version: number;
  token: SharedArrayBuffer;
  file: string;
}

/** @internal The one message a `workerMain` worker posts. */
export type ResultMessage =
  | { type: typeof RESULT_TYPE; ok: true; value: unknown }
  | { type: typeof RESULT_TYPE; ok: false; error: SerializedError };

/** @internal Whether `message` is a result posted by `workerMain`. */
export function isResultMessage(message: unknown): message is ResultMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === RESULT_TYPE &&
    typeof (message as { ok?: unknown }).ok === 'boolean'
  );
}

/** @internal Whether `message` is the envelope `runInWorker` posts first. */
export function isEnvelope(message: unknown): message is WorkerEnvelope {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === ENVELOPE_TYPE;
}

/**
 * A worker started by `runInWorker` crashed (an uncaught error), exited before posting a result, or
 * was terminated because it did not stop within its grace period. `cause` holds the worker's own
 * error when there is one.
 *
 * @example
 * ```ts
 * try { await runInWorker(file); }
 * catch (e) { if (e instanceof WorkerError) console.error(e.file, e.exitCode); }
 * ```
 */
export class WorkerError extends Error {
  /** The worker's file or URL, as given to `runInWorker`. */
  readonly file: string;
  /** The worker's exit code. */
  readonly exitCode: number | undefined;

  constructor(message: string, options: { file: string; exitCode?: number | undefined; cause?: unknown }) {
    super(message);
    this.file = options.file;
    this.exitCode = options.exitCode;
    if (options.cause !== undefined) this.cause = options.cause;
  }

  override get name(): string {
    return 'WorkerError';
  }
}

// `instanceof WorkerError` holds across the ESM and CommonJS copies.
Object.defineProperty(WorkerError, Symbol.hasInstance, {
  value: function hasInstance(value: unknown): boolean {
    try {
      return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[workerErrorBrand] === true;
    } catch {
      return false;
    }
  },
});
const workerErrorBrand = Symbol.for('cancelable.WorkerError');
Object.defineProperty(WorkerError.prototype, workerErrorBrand, { value: true });
