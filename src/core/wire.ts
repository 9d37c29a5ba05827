/**
 * Errors and cancellations as they cross a boundary (a thread, a process, a machine): one plain,
 * cloneable and JSON-safe form, and the checks that turn what comes back (hostile input) into errors
 * of the right class. Used by every boundary the library crosses; nothing else converts.
 */
import { createCancelationError, isCancelationError, type CancelationError, type CancelationInit } from './errors.js';
import { isCancelationReason, type CancelationReason } from './reasons.js';

/** The serialisable fields of a cancellation (a {@link CancelationInit} without `cause`). */
export interface CancelFields {
  reason: CancelationReason;
  message?: string | undefined;
  timeoutMs?: number | undefined;
  signal?: string | undefined;
  conditionName?: string | undefined;
  parentId?: string | undefined;
  parentReason?: CancelationReason | undefined;
}

/** The longest message kept from the other side; longer ones are cut. */
export const MAX_WIRE_MESSAGE_LENGTH = 16_384;

/** The fields of a cancellation error, to send elsewhere. */
export function cancelFieldsOf(error: CancelationError): CancelFields {
  const e = error as CancelationError & Record<'timeoutMs' | 'signal' | 'conditionName' | 'parentId' | 'parentReason', unknown>;
  const fields: CancelFields = { reason: error.reason, message: error.message };
  if (typeof e.timeoutMs === 'number') fields.timeoutMs = e.timeoutMs;
  if (typeof e.signal === 'string') fields.signal = e.signal;
  if (typeof e.conditionName === 'string') fields.conditionName = e.conditionName;
  if (typeof e.parentId === 'string') fields.parentId = e.parentId;
  if (isCancelationReason(e.parentReason)) fields.parentReason = e.parentReason;
  return fields;
}

/** Reads cancellation fields that came from elsewhere; `undefined` when `value` is not such fields. Never throws. */
export function readCancelFields(value: unknown): CancelationInit | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    const v = value as Record<string, unknown>;
    if (!isCancelationReason(v.reason)) return undefined;
    return {
      reason: v.reason,
      message: text(v.message),
      timeoutMs: typeof v.timeoutMs === 'number' && Number.isFinite(v.timeoutMs) ? v.timeoutMs : undefined,
      signal: text(v.signal),
      conditionName: text(v.conditionName),
      parentId: text(v.parentId),
      parentReason: isCancelationReason(v.parentReason) ? v.parentReason : undefined,
    };
  } catch {
    return undefined; // a hostile object (a throwing getter): not fields
  }
}

/** An error (or any thrown value) as it travels: structured-cloneable and JSON-safe. */
export type SerializedError =
  | {
      kind: 'error';
      name: string;
      message: string;
      stack?: string | undefined;
      code?: string | number | undefined;
      /** Set when the error is one of the library's cancellation errors. */
      cancel?: CancelFields | undefined;
      operationId?: string | undefined;
      cause?: SerializedError | undefined;
    }
  | { kind: 'value'; value: unknown };

const MAX_CAUSE_DEPTH = 8;

/** Turns anything thrown into a {@link SerializedError}. Never throws. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  try {
    if (!(error instanceof Error) && !isCancelationError(error)) return { kind: 'value', value: plainValue(error) };
    const e = error as Error & { code?: unknown; cause?: unknown; operationId?: unknown };
    const wire: SerializedError = { kind: 'error', name: String(e.name), message: String(e.message) };
    if (typeof e.stack === 'string') wire.stack = e.stack;
    if (typeof e.code === 'string' || typeof e.code === 'number') wire.code = e.code;
    if (isCancelationError(error)) {
      wire.cancel = cancelFieldsOf(error);
      if (typeof e.operationId === 'string') wire.operationId = e.operationId;
    }
    if (e.cause !== undefined && depth < MAX_CAUSE_DEPTH) wire.cause = serializeError(e.cause, depth + 1);
    return wire;
  } catch {
    return { kind: 'value', value: 'an unprintable value' };
  }
}

function plainValue(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function' || value === undefined) {
    return String(value);
  }
  try {
    return JSON.parse(JSON.stringify(value)) as unknown; // plain data only: both serialisations carry it
  } catch {
    return Object.prototype.toString.call(value);
  }
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
 * Rebuilds an error that came from elsewhere: a cancellation error of the right class (with its reason,
 * message and fields), a built-in error class by name, or an `Error` carrying the remote name, message,
 * stack, `code` and `cause` chain. Hostile input gives an `Error` that says it was malformed; never throws.
 */
export function reviveError(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return new Error(`Malformed error from the other side: ${describe(value)}`);
  const wire = value as Record<string, unknown>;
  if (wire.kind === 'value') return wire.value;
  const message = text(wire.message) ?? 'Unknown error';
  const name = text(wire.name) ?? 'Error';
  const cancel = readCancelFields(wire.cancel);
  let error: Error;
  if (cancel !== undefined) {
    error = createCancelationError({ ...cancel, message }, text(wire.operationId));
  } else {
    const Ctor = builtinErrors[name] ?? Error;
    error = new Ctor(message);
    if (error.name !== name) Object.defineProperty(error, 'name', { value: name, configurable: true, writable: true });
  }
  const stack = text(wire.stack);
  if (stack !== undefined) Object.defineProperty(error, 'stack', { value: stack, configurable: true, writable: true });
  if (typeof wire.code === 'string' || typeof wire.code === 'number') {
    Object.defineProperty(error, 'code', { value: wire.code, configurable: true, writable: true, enumerable: true });
  }
  if (wire.cause !== undefined && depth < MAX_CAUSE_DEPTH) error.cause = reviveError(wire.cause, depth + 1);
  return error;
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > MAX_WIRE_MESSAGE_LENGTH ? `${value.slice(0, MAX_WIRE_MESSAGE_LENGTH)}…` : value;
}

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'an unprintable value';
  }
}
