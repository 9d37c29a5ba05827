import { createCancelationError, isCancelationError } from '../core/errors.js';
import { isCancelationReason, type CancelationReason } from '../core/reasons.js';

/**
 * What `runInWorker` and `workerMain` say to each other. The main thread puts an envelope in
 * `workerData` (the token's buffer and the user's data); the worker posts one result message on
 * `parentPort`. Both carry a marker so they never mix with the user's own messages.
 */
export const ENVELOPE_KEY = '__cancelable';
export const PROTOCOL_VERSION = 1;
export const RESULT_TYPE = 'cancelable:worker-result';

/** @internal `workerData` of a worker started by `runInWorker`. */
export interface WorkerEnvelope {
  [ENVELOPE_KEY]: { version: number; token: SharedArrayBuffer; file: string };
  data: unknown;
}

/** @internal The one message a `workerMain` worker posts. */
export type ResultMessage =
  | { type: typeof RESULT_TYPE; ok: true; value: unknown }
  | { type: typeof RESULT_TYPE; ok: false; error: SerializedError };

/** @internal An error as it crosses the thread boundary. */
export type SerializedError =
  | {
      kind: 'error';
      name: string;
      message: string;
      stack: string | undefined;
      code: unknown;
      cancel: CancelFields | undefined;
      cause: SerializedError | undefined;
    }
  | { kind: 'value'; value: unknown };

interface CancelFields {
  reason: CancelationReason;
  timeoutMs?: number | undefined;
  signal?: string | undefined;
  conditionName?: string | undefined;
  parentId?: string | undefined;
  parentReason?: CancelationReason | undefined;
}

/** @internal Whether `message` is a result posted by `workerMain`. */
export function isResultMessage(message: unknown): message is ResultMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === RESULT_TYPE &&
    typeof (message as { ok?: unknown }).ok === 'boolean'
  );
}

/**
 * A worker started by `runInWorker` crashed (an uncaught error), exited before posting a result, or
 * was terminated because it did not stop within its grace period. `cause` holds the worker's own
 * error when there is one.
 *
 * @example
 * ```ts
 * try { await scope.runInWorker(file); }
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

const MAX_CAUSE_DEPTH = 8;

/** @internal Turns anything thrown in a worker into something `postMessage` can carry. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error) && !isCancelationError(error)) {
    try {
      return { kind: 'value', value: structuredClone(error) };
    } catch {
      return { kind: 'value', value: String(error) };
    }
  }
  const e = error as Error & { code?: unknown; cause?: unknown };
  let cancel: CancelFields | undefined;
  if (isCancelationError(error)) {
    const c = error as unknown as CancelFields;
    cancel = {
      reason: error.reason,
      timeoutMs: numberOrUndefined(c.timeoutMs),
      signal: stringOrUndefined(c.signal),
      conditionName: stringOrUndefined(c.conditionName),
      parentId: stringOrUndefined(c.parentId),
      parentReason: isCancelationReason(c.parentReason) ? c.parentReason : undefined,
    };
  }
  let code: unknown;
  if (typeof e.code === 'string' || typeof e.code === 'number') code = e.code;
  return {
    kind: 'error',
    name: String(e.name),
    message: String(e.message),
    stack: typeof e.stack === 'string' ? e.stack : undefined,
    code,
    cancel,
    cause: e.cause !== undefined && depth < MAX_CAUSE_DEPTH ? serializeError(e.cause, depth + 1) : undefined,
  };
}

const builtinErrors: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * @internal Rebuilds a worker's error in this thread: the same class for built-in errors and this
 * library's cancellation errors (so `isCancelation` still recognises them), the same name, message,
 * `code` and `cause` chain, and the worker's stack.
 */
export function reviveError(serialized: SerializedError): unknown {
  if (serialized.kind === 'value') return serialized.value;
  let error: Error;
  if (serialized.cancel !== undefined) {
    error = createCancelationError({ ...serialized.cancel, message: serialized.message });
  } else {
    const Ctor = builtinErrors[serialized.name] ?? Error;
    error = new Ctor(serialized.message);
    if (error.name !== serialized.name) {
      Object.defineProperty(error, 'name', { value: serialized.name, configurable: true, writable: true });
    }
  }
  if (serialized.stack !== undefined) {
    Object.defineProperty(error, 'stack', { value: serialized.stack, configurable: true, writable: true });
  }
  if (serialized.code !== undefined) {
    Object.defineProperty(error, 'code', { value: serialized.code, configurable: true, writable: true, enumerable: true });
  }
  if (serialized.cause !== undefined) error.cause = reviveError(serialized.cause);
  return error;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
