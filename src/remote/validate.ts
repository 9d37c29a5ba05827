/**
 * Argument checks for the remote backends. What a caller hands in is checked at the call and rejected
 * with a TypeError (wrong type, unknown option) or a RangeError (right type, bad value) naming the
 * parameter and the value. What comes back from a server is checked with the `is*` predicates, which
 * never throw.
 */

/** The longest id accepted, in UTF-8 bytes. */
export const MAX_ID_BYTES = 256;

/** The longest cancel message accepted by default, in UTF-8 bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4_096;

// C0 controls, DEL and C1 controls: never in an id (they end up in keys, channels and terminals).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A surrogate half without its partner: not encodable as UTF-8 (it would become U+FFFD on the wire).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Short, safe rendering of a bad value for an error message (never the whole of a long string). */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
}

/** UTF-8 length of a string, without allocating a buffer for short ASCII strings. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Why `value` is not a valid operation id, or `undefined` when it is one. */
function idProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (utf8Bytes(value) > MAX_ID_BYTES) return `must be at most ${MAX_ID_BYTES} bytes (UTF-8)`;
  if (CONTROL.test(value)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/**
 * An operation id: any printable string of 1 to 256 UTF-8 bytes. Ids are opaque: they are never
 * parsed, only escaped where a key or channel name needs it.
 */
export function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  const problem = idProblem(value);
  if (problem !== undefined) throw new RangeError(`${name} ${problem}, got ${describe(value)}`);
  return value;
}

/** Whether a value read from outside is a valid id (never throws). */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && idProblem(value) === undefined;
}

/** A plain options object (or undefined) whose keys are all in `known`. */
export function checkOptions<T extends object>(name: string, value: unknown, known: readonly string[]): T | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an options object, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(`${name}.${key} is not a known option (known: ${known.join(', ')})`);
    }
  }
  return value as T;
}

/** An integer in [min, max], or `fallback` when undefined. */
export function checkInteger(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** A string of at most `maxBytes` UTF-8 bytes, or undefined. */
export function checkText(name: string, value: unknown, maxBytes: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (utf8Bytes(value) > maxBytes) {
    throw new RangeError(`${name} must be at most ${maxBytes} bytes (UTF-8), got ${utf8Bytes(value)} bytes`);
  }
  return value;
}

/** A namespace: the prefix of every key, table or channel a backend uses. */
export function checkNamespace(name: string, value: unknown, pattern: RegExp, rule: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (!pattern.test(value)) throw new RangeError(`${name} must be ${rule}, got ${describe(value)}`);
  return value;
}

/** A boolean, or `fallback` when undefined. */
export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** A function, or undefined. */
export function checkOptionalFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${describe(value)}`);
  }
  return value;
}
