/**
 * The two records every backend stores: the cancel state (the latch) and the lease (who runs what).
 * Encoding is ours; decoding treats the input as hostile: bounded, type-checked field by field, and
 * anything else is refused with a reason (the caller reports it and ignores the record).
 */
import { CancelationReason, OperationStatus, type OperationContext, type ProgressReport } from '../index.js';
import { MAX_ID_BYTES, isValidId, utf8Bytes } from './validate.js';

/**
 * The cancel state of an id: written once by the first `remote.cancel(id)` (later ones keep it), read
 * by every watcher of the id. `at` is the canceller's clock (epoch ms); `by` names the canceller.
 */
export interface CancelState {
  reason: CancelationReason;
  message: string | null;
  at: number;
  by: string;
}

/**
 * One live operation of the fleet, as its lease shows it: the operation's context (a snapshot taken at
 * the last renewal or progress report) and where it runs. `instance` identifies the `remote` object
 * (one per process, usually) that holds the lease.
 */
export type FleetOperation = OperationContext & { host: string; pid: number; instance: string };

/** The largest lease record read or written, in bytes: a bigger one is trimmed on write, refused on read. */
export const MAX_LEASE_BYTES = 32 * 1024;

const reasons: ReadonlySet<string> = new Set(Object.values(CancelationReason));
const statuses: ReadonlySet<string> = new Set(Object.values(OperationStatus));

/** Why a record was refused. */
export class GarbageError extends Error {
  override get name(): string {
    return 'GarbageError';
  }
}

/** Serialises a state for a string store (Redis). */
export function encodeState(state: CancelState): string {
  return JSON.stringify({ reason: state.reason, message: state.message, at: state.at, by: state.by });
}

/**
 * Checks a state read from a server: a JSON string (Redis) or a row (PostgreSQL). Returns the state,
 * or a {@link GarbageError} saying what is wrong.
 */
export function decodeState(raw: unknown, maxMessageBytes: number): CancelState | GarbageError {
  let value = raw;
  if (typeof raw === 'string') {
    if (raw.length > maxMessageBytes + 2 * MAX_ID_BYTES + 256) return new GarbageError(`state of ${raw.length} characters is too long`);
    try {
      value = JSON.parse(raw);
    } catch {
      return new GarbageError('state is not JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return new GarbageError('state is not an object');
  const { reason, message, at, by } = value as Record<string, unknown>;
  if (typeof reason !== 'string' || !reasons.has(reason)) return new GarbageError('state.reason is not a cancellation reason');
  if (message !== null && message !== undefined && (typeof message !== 'string' || utf8Bytes(message) > maxMessageBytes)) {
    return new GarbageError(`state.message is not a string of at most ${maxMessageBytes} bytes`);
  }
  const atMs = typeof at === 'string' && /^\d{1,16}$/.test(at) ? Number(at) : at; // bigint columns come back as strings
  if (typeof atMs !== 'number' || !Number.isFinite(atMs) || atMs < 0) return new GarbageError('state.at is not a time');
  if (!isValidId(by)) return new GarbageError('state.by is not a printable name of at most 256 bytes');
  return { reason: reason as CancelationReason, message: typeof message === 'string' ? message : null, at: atMs, by };
}

/** What a backend stores for a lease. */
export interface LeaseRecord {
  v: 1;
  host: string;
  pid: number;
  instance: string;
  context: OperationContext;
}

/**
 * Serialises a lease, trimming what makes it too big (the partial result is never shipped: it stays in
 * the process; then metadata, then long texts).
 */
export function encodeLease(record: LeaseRecord): string {
  const context: OperationContext = { ...record.context, partialResult: null };
  const attempt = (): string | undefined => {
    try {
      return JSON.stringify({ ...record, context }, jsonSafe);
    } catch {
      return undefined; // a cycle in user metadata
    }
  };
  const fits = (text: string | undefined): text is string =>
    text !== undefined && (text.length <= MAX_LEASE_BYTES / 3 || utf8Bytes(text) <= MAX_LEASE_BYTES);
  let text = attempt();
  if (fits(text)) return text;
  context.metadata = { trimmed: true };
  if (context.progress !== null) context.progress = { ...context.progress, metadata: null };
  text = attempt();
  if (fits(text)) return text;
  const cut = (value: string | null): string | null => (value === null ? null : value.slice(0, 1_000));
  context.name = cut(context.name) ?? '';
  context.cancelMessage = cut(context.cancelMessage);
  context.error = cut(context.error);
  if (context.progress !== null) context.progress = { ...context.progress, message: cut(context.progress.message) ?? '' };
  return JSON.stringify({ ...record, context });
}

// Metadata is user data: a bigint or a cycle must not make a lease unwritable.
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

const isText = (value: unknown, maxBytes: number): value is string => typeof value === 'string' && utf8Bytes(value) <= maxBytes;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Checks a lease read from a server and returns the operation it describes, or a {@link GarbageError}.
 * `durationMs` is recomputed with the reader's clock (the record is as old as its last renewal).
 */
export function decodeLease(raw: unknown, expectedId: string | undefined, now: number): FleetOperation | GarbageError {
  if (typeof raw !== 'string') return new GarbageError('lease is not a string');
  if (raw.length > MAX_LEASE_BYTES) return new GarbageError(`lease of ${raw.length} characters is too long`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return new GarbageError('lease is not JSON');
  }
  if (!isPlainObject(value) || value.v !== 1) return new GarbageError('lease is not a version 1 record');
  const { host, pid, instance, context } = value;
  if (!isValidId(host)) return new GarbageError('lease.host is not a printable name');
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 0) return new GarbageError('lease.pid is not a process id');
  if (!isValidId(instance)) return new GarbageError('lease.instance is not a printable name');
  const checked = checkContext(context);
  if (checked instanceof GarbageError) return checked;
  if (expectedId !== undefined && checked.id !== expectedId) return new GarbageError('lease.context.id is not the id of its key');
  if (checked.startTime !== null) checked.durationMs = Math.max(0, now - checked.startTime);
  return { ...checked, host, pid, instance };
}

function checkContext(value: unknown): OperationContext | GarbageError {
  if (!isPlainObject(value)) return new GarbageError('lease.context is not an object');
  const c = value;
  if (!isValidId(c.id)) return new GarbageError('lease.context.id is not a valid id');
  if (!isText(c.name, 4_096)) return new GarbageError('lease.context.name is not a string');
  if (c.parentId !== null && !isValidId(c.parentId)) return new GarbageError('lease.context.parentId is not an id');
  if (typeof c.status !== 'string' || !statuses.has(c.status)) return new GarbageError('lease.context.status is not a status');
  for (const key of ['startTime', 'endTime', 'durationMs'] as const) {
    if (c[key] !== null && !isTime(c[key])) return new GarbageError(`lease.context.${key} is not a time`);
  }
  if (c.cancelReason !== null && (typeof c.cancelReason !== 'string' || !reasons.has(c.cancelReason))) {
    return new GarbageError('lease.context.cancelReason is not a reason');
  }
  for (const key of ['cancelMessage', 'error'] as const) {
    if (c[key] !== null && !isText(c[key], MAX_LEASE_BYTES)) return new GarbageError(`lease.context.${key} is not a string`);
  }
  const progress = c.progress;
  if (progress !== null) {
    if (!isPlainObject(progress) || !isText(progress.message, MAX_LEASE_BYTES) || !isTime(progress.at)) {
      return new GarbageError('lease.context.progress is not a progress report');
    }
    if (progress.metadata !== null && !isPlainObject(progress.metadata)) return new GarbageError('lease.context.progress.metadata is not an object');
  }
  if (!isPlainObject(c.metadata)) return new GarbageError('lease.context.metadata is not an object');
  return {
    id: c.id,
    name: c.name,
    parentId: c.parentId,
    status: c.status as OperationStatus,
    startTime: c.startTime as number | null,
    endTime: c.endTime as number | null,
    durationMs: c.durationMs as number | null,
    cancelReason: c.cancelReason as CancelationReason | null,
    cancelMessage: c.cancelMessage as string | null,
    error: c.error as string | null,
    progress: progress as ProgressReport | null,
    partialResult: null,
    metadata: c.metadata,
  };
}
