/**
 * JSON-safe copies of user data (metadata, progress, partial results), for snapshots that must
 * serialise whatever the user put in them.
 */

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

/**
 * `value` itself when `JSON.stringify` can serialise it (no copy on the common path), else its
 * {@link jsonCopy}: the context of a scope stays serialisable whatever is in its metadata.
 */
export function jsonSafe(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
  try {
    JSON.stringify(value);
    return value;
  } catch {
    return jsonCopy(value);
  }
}
