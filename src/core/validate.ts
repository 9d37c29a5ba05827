/**
 * Argument checks shared by the public API. Each throws at the call that got the bad value, with a
 * message naming the parameter and the value.
 */

/** Short, safe rendering of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
}

/** A finite duration in milliseconds, >= 0. */
export function checkDuration(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number of milliseconds, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number of milliseconds >= 0, got ${describeValue(value)}`);
  }
  return value;
}

/** A duration in milliseconds, >= 0, where `Infinity` is allowed (meaning "no limit"). */
export function checkDurationOrInfinity(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number of milliseconds, got ${describeValue(value)}`);
  }
  if (Number.isNaN(value) || value < 0) {
    throw new RangeError(`${name} must be a number of milliseconds >= 0 (or Infinity), got ${describeValue(value)}`);
  }
  return value;
}

/** A strictly positive, finite interval in milliseconds. */
export function checkInterval(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number of milliseconds, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number of milliseconds > 0, got ${describeValue(value)}`);
  }
  return value;
}

/** An integer >= `min`. */
export function checkInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be an integer, got ${describeValue(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}

/** A function. */
export function checkFunction<F>(name: string, value: F): F {
  if (typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${describeValue(value)}`);
  }
  return value;
}

/** A string (or undefined when `optional`). */
export function checkOptionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describeValue(value)}`);
  return value;
}

/** A plain options object (or undefined). */
export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new TypeError(`${name} must be an options object, got ${describeValue(value)}`);
  }
}

/**
 * An options object (or undefined) whose keys are all in `known`: a typo (`{ timout: 5 }`) or a key of
 * another function is a TypeError naming it, never silently dropped. Inherited keys are ignored.
 */
export function checkKnownKeys(name: string, value: unknown, known: ReadonlySet<string>): void {
  checkOptions(name, value);
  if (value === undefined) return;
  for (const key in value as object) {
    if (!Object.hasOwn(value as object, key) || known.has(key)) continue;
    throw new TypeError(`${name} has an unknown key ${describeValue(key)}; expected one of ${[...known].join(', ')}`);
  }
}

/** The keys of an options object that only takes a `name` (sources). */
export const nameOnlyKeys: ReadonlySet<string> = new Set(['name']);

/** A finite epoch-milliseconds time or a valid `Date`, within the range of `Date` (±8.64e15 ms). */
export function checkTime(name: string, value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number') {
    throw new TypeError(`${name} must be a Date or epoch milliseconds, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw new RangeError(
      `${name} must be a valid Date or epoch milliseconds within ±${MAX_DATE_MS} (the range of Date), got ${describeValue(value instanceof Date ? 'Invalid Date' : value)}`,
    );
  }
  return ms;
}

/** The largest epoch milliseconds a `Date` can hold. */
export const MAX_DATE_MS = 8_640_000_000_000_000;
