/**
 * The IPC protocol between `scope.fork()` (parent) and `Cancelable.fromParentProcess()` (child).
 * Every message carries the tag `__cancelable: 1`, so it can share the channel with the user's own
 * messages (which are never touched).
 *
 * child -> parent  `{ __cancelable: 1, type: 'ready' }`            the link listens; (re)send any cancel
 * parent -> child  `{ __cancelable: 1, type: 'cancel', init }`     cancel the child's scope with `init`
 * child -> parent  `{ __cancelable: 1, type: 'result', ok, value | error }`   how the child's run ended
 */
import {
  createCancelationError,
  isCancelationError,
  type CancelationError,
  type CancelationInit,
} from '../core/errors.js';
import { isCancelationReason, type CancelationReason } from '../core/reasons.js';

/** The tag of every protocol message. */
export const TAG = '__cancelable';

/** The serialisable part of a {@link CancelationInit} (no `cause`). */
export interface WireCancelInit {
  reason: CancelationReason;
  message?: string | undefined;
  timeoutMs?: number | undefined;
  signal?: string | undefined;
  conditionName?: string | undefined;
  parentId?: string | undefined;
  parentReason?: CancelationReason | undefined;
}

/** An error as it travels between processes (works with both 'json' and 'advanced' serialisation). */
export interface WireError {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: string | number | undefined;
  /** Set when the error is one of the library's cancellation errors. */
  cancel?: WireCancelInit | undefined;
  operationId?: string | undefined;
}

export interface ReadyMessage {
  [TAG]: 1;
  type: 'ready';
}
export interface CancelMessage {
  [TAG]: 1;
  type: 'cancel';
  init: WireCancelInit;
}
export type ResultMessage =
  | { [TAG]: 1; type: 'result'; ok: true; value: unknown }
  | { [TAG]: 1; type: 'result'; ok: false; error: WireError };

export type ProtocolMessage = ReadyMessage | CancelMessage | ResultMessage;

/** Whether `message` is one of ours (anything else belongs to the user). */
export function isProtocolMessage(message: unknown): message is ProtocolMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Record<string, unknown>)[TAG] === 1 &&
    typeof (message as { type?: unknown }).type === 'string'
  );
}

/** The wire form of a cancellation error's fields. */
export function initFromError(error: CancelationError): WireCancelInit {
  const e = error as CancelationError & Partial<Record<'timeoutMs' | 'signal' | 'conditionName' | 'parentId', unknown>> & {
    parentReason?: unknown;
  };
  const init: WireCancelInit = { reason: error.reason, message: error.message };
  if (typeof e.timeoutMs === 'number') init.timeoutMs = e.timeoutMs;
  if (typeof e.signal === 'string') init.signal = e.signal;
  if (typeof e.conditionName === 'string') init.conditionName = e.conditionName;
  if (typeof e.parentId === 'string') init.parentId = e.parentId;
  if (isCancelationReason(e.parentReason)) init.parentReason = e.parentReason;
  return init;
}

/** Validates a cancel init that came over the wire; `undefined` when it is not one. */
export function readWireInit(value: unknown): CancelationInit | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!isCancelationReason(v.reason)) return undefined;
  const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
  return {
    reason: v.reason,
    message: str(v.message),
    timeoutMs: typeof v.timeoutMs === 'number' ? v.timeoutMs : undefined,
    signal: str(v.signal),
    conditionName: str(v.conditionName),
    parentId: str(v.parentId),
    parentReason: isCancelationReason(v.parentReason) ? v.parentReason : undefined,
  };
}

/** The wire form of any thrown value. */
export function serializeError(error: unknown): WireError {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as Error & { code?: unknown; operationId?: unknown };
    const wire: WireError = {
      name: typeof e.name === 'string' ? e.name : 'Error',
      message: typeof e.message === 'string' ? e.message : String(e.message),
      stack: typeof e.stack === 'string' ? e.stack : undefined,
    };
    if (typeof e.code === 'string' || typeof e.code === 'number') wire.code = e.code;
    if (isCancelationError(error)) {
      wire.cancel = initFromError(error);
      if (typeof e.operationId === 'string') wire.operationId = e.operationId;
    }
    return wire;
  }
  return { name: 'Error', message: `Non-error value thrown: ${safeString(error)}` };
}

/**
 * Rebuilds an error that came from another process: a cancellation error of the right class (with
 * its reason, message and fields), or an `Error` with the remote name, message, stack and code.
 */
export function reviveError(value: unknown): Error {
  if (typeof value !== 'object' || value === null) return new Error(`Malformed error from child process: ${safeString(value)}`);
  const wire = value as Partial<WireError>;
  const message = typeof wire.message === 'string' ? wire.message : 'Unknown error';
  const init = readWireInit(wire.cancel);
  let error: Error;
  if (init !== undefined) {
    error = createCancelationError({ ...init, message }, typeof wire.operationId === 'string' ? wire.operationId : undefined);
  } else {
    error = new Error(message);
    if (typeof wire.name === 'string' && wire.name !== 'Error') {
      Object.defineProperty(error, 'name', { value: wire.name, configurable: true, writable: true });
    }
    if (typeof wire.code === 'string' || typeof wire.code === 'number') {
      (error as Error & { code?: string | number }).code = wire.code;
    }
  }
  if (typeof wire.stack === 'string') error.stack = wire.stack;
  return error;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
