import type { OperationContext } from '../core/context.js';

const MAX_DEPTH = 64;

/**
 * A JSON-safe deep copy of `value`: what `JSON.parse(JSON.stringify(value))` gives (`toJSON` honoured,
 * functions and symbols dropped, `undefined` -> `null` at the top), except that it never throws:
 * cycles become `'[Circular]'`, bigints strings, and nesting deeper than 64 levels `'[Too deep]'`.
 */
export function jsonCopy(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const type = typeof value;
  if (type === 'string' || type === 'boolean') return value;
  if (type === 'number') return Number.isFinite(value) ? value : null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as unknown);
  } catch {
    // Cycles, bigints, throwing getters or toJSON, very deep nesting: copy by hand, defensively.
    return safeCopy(value, [], 0) ?? null;
  }
}

function safeCopy(value: unknown, ancestors: object[], depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined; // functions, symbols, undefined: dropped, as JSON does
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return '[Too deep]';
  let source: unknown = value;
  try {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') source = (toJSON as () => unknown).call(value);
  } catch {
    return '[Unserializable]';
  }
  if (source !== value) return safeCopy(source, ancestors, depth + 1);
  if (ancestors.includes(value)) return '[Circular]';
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item: unknown) => safeCopy(item, ancestors, depth + 1) ?? null);
    }
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      let item: unknown;
      try {
        item = (value as Record<string, unknown>)[key];
      } catch {
        item = '[Unserializable]';
      }
      const copied = safeCopy(item, ancestors, depth + 1);
      if (copied !== undefined) copy[key] = copied;
    }
    return copy;
  } finally {
    ancestors.pop();
  }
}

function isEmptyObject(value: Record<string, unknown>): boolean {
  for (const _key in value) return false;
  return true;
}

/** A copy of a record that stays a record (a `toJSON` returning something else gives `{}`). */
function copyRecord(value: Record<string, unknown>): Record<string, unknown> {
  if (isEmptyObject(value)) return {};
  const copy = jsonCopy(value);
  return copy !== null && typeof copy === 'object' && !Array.isArray(copy) ? (copy as Record<string, unknown>) : {};
}

/**
 * A deep, JSON-safe copy of a context: nothing in it is shared with the scope (metadata, progress
 * metadata and the partial result are copied), so a caller may mutate it freely.
 */
export function copyContext(context: OperationContext): OperationContext {
  const progress = context.progress;
  const metadata = context.metadata;
  return {
    id: context.id,
    name: context.name,
    parentId: context.parentId,
    status: context.status,
    startTime: context.startTime,
    endTime: context.endTime,
    durationMs: context.durationMs,
    cancelReason: context.cancelReason,
    cancelMessage: context.cancelMessage,
    error: context.error,
    progress:
      progress === null
        ? null
        : {
            message: progress.message,
            metadata: progress.metadata === null ? null : copyRecord(progress.metadata),
            at: progress.at,
          },
    partialResult: jsonCopy(context.partialResult),
    metadata: copyRecord(metadata),
  };
}
