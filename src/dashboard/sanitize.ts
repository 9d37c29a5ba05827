import type { DashboardOperation } from './types.js';

/** Longest id accepted from a client or a source. */
export const MAX_ID_LENGTH = 256;
/** Longest name kept (longer ones are cut, with an ellipsis). */
export const MAX_NAME_LENGTH = 200;
/** Longest message kept (cancel messages, progress messages, errors). */
export const MAX_MESSAGE_LENGTH = 1_000;
/** Largest JSON kept for an operation's metadata or partial result. */
export const MAX_JSON_BYTES = 8 * 1024;

const STATUSES = new Set(['pending', 'running', 'completed', 'cancelled', 'failed', 'ended']);
// C0 and C1 control characters, and the line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Whether `value` is an acceptable operation id: 1–256 characters, no control characters. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH && !CONTROL.test(value);
}

/** `value` cut to `max` characters (an ellipsis marks the cut), or null when it is not a string. */
export function boundedString(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null;
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * A JSON-safe copy of `value` no larger than {@link MAX_JSON_BYTES}: bigger (or unserialisable)
 * values are replaced by a note saying so.
 */
export function boundedJson(value: unknown): unknown {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return { '[unserializable]': true };
  }
  if (text === undefined) return null;
  if (text.length > MAX_JSON_BYTES) return { '[truncated]': `${text.length} characters` };
  return JSON.parse(text) as unknown;
}

function boundedRecord(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const copy = boundedJson(value);
  return copy !== null && typeof copy === 'object' && !Array.isArray(copy) ? (copy as Record<string, unknown>) : {};
}

/**
 * A checked, bounded copy of an operation from a source (a registry's snapshot, a line from another
 * process, a lease read from Redis): `undefined` when it has no usable id. Every string is cut to its
 * cap, every number checked, metadata and partial results bounded.
 */
export function sanitizeOperation(raw: unknown): DashboardOperation | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const input = raw as Record<string, unknown>;
  if (!isValidId(input.id)) return undefined;
  const status = typeof input.status === 'string' && STATUSES.has(input.status) ? input.status : 'running';
  const progressInput = input.progress;
  let progress: DashboardOperation['progress'] = null;
  if (progressInput !== null && typeof progressInput === 'object') {
    const p = progressInput as Record<string, unknown>;
    progress = {
      message: boundedString(p.message, MAX_MESSAGE_LENGTH) ?? '',
      metadata: p.metadata === null || p.metadata === undefined ? null : boundedRecord(p.metadata),
      at: finiteOrNull(p.at) ?? 0,
    };
  }
  const operation: DashboardOperation = {
    id: input.id,
    name: boundedString(input.name, MAX_NAME_LENGTH) ?? 'operation',
    parentId: isValidId(input.parentId) ? input.parentId : null,
    status: status as DashboardOperation['status'],
    startTime: finiteOrNull(input.startTime),
    endTime: finiteOrNull(input.endTime),
    durationMs: finiteOrNull(input.durationMs),
    cancelReason: (boundedString(input.cancelReason, 32) as DashboardOperation['cancelReason']) ?? null,
    cancelMessage: boundedString(input.cancelMessage, MAX_MESSAGE_LENGTH),
    error: boundedString(input.error, MAX_MESSAGE_LENGTH),
    progress,
    partialResult: boundedJson(input.partialResult),
    metadata: boundedRecord(input.metadata),
  };
  const host = boundedString(input.host, MAX_NAME_LENGTH);
  if (host !== null) operation.host = host;
  const pid = finiteOrNull(input.pid);
  if (pid !== null) operation.pid = pid;
  const instance = boundedString(input.instance, MAX_NAME_LENGTH);
  if (instance !== null) operation.instance = instance;
  return operation;
}

/** One row of the live list and of SSE updates: what the page shows, without metadata. */
export interface OperationRow {
  id: string;
  name: string;
  parentId: string | null;
  /** An operation status, or `ended` (a fleet operation whose lease went away: outcome unknown). */
  status: string;
  startTime: number | null;
  endTime: number | null;
  cancelReason: string | null;
  cancelMessage: string | null;
  error: string | null;
  progress: { message: string; at: number } | null;
  host?: string;
  pid?: number;
  /** The message of a cancel sent from this dashboard, while the operation has not ended yet. */
  requested?: string;
}

/** The row of an operation. */
export function toRow(operation: DashboardOperation, status: string = operation.status): OperationRow {
  const row: OperationRow = {
    id: operation.id,
    name: operation.name,
    parentId: operation.parentId,
    status,
    startTime: operation.startTime,
    endTime: operation.endTime,
    cancelReason: operation.cancelReason,
    cancelMessage: operation.cancelMessage,
    error: operation.error,
    progress: operation.progress === null ? null : { message: operation.progress.message, at: operation.progress.at },
  };
  if (operation.host !== undefined) row.host = operation.host;
  if (operation.pid !== undefined) row.pid = operation.pid;
  return row;
}
