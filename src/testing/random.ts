import { describeValue } from '../core/validate.js';

/** A seed: an integer (any safe integer; only its low 32 bits count) or a string (hashed). */
export type Seed = number | string;

/** Turns a {@link Seed} into a 32-bit unsigned integer; throws a clear error for anything else. */
export function normalizeSeed(name: string, seed: unknown): number {
  if (typeof seed === 'string') {
    // FNV-1a: a stable hash, so 'my-test' always means the same sequence.
    let hash = 0x811c9dc5;
    for (let i = 0; i < seed.length; i++) {
      hash ^= seed.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return hash >>> 0;
  }
  if (typeof seed !== 'number') {
    throw new TypeError(`${name} must be an integer or a string, got ${describeValue(seed)}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`${name} must be a safe integer (or a string), got ${describeValue(seed)}`);
  }
  return seed >>> 0;
}

/** A fresh random 32-bit seed (for runs without a given seed; report it so the run can be replayed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}

/**
 * A small, fast, seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every platform and Node version. Not for cryptography.
 *
 * @example
 * ```ts
 * const random = new SeededRandom(42);
 * random.next();        // 0 <= x < 1, always the same first value for seed 42
 * random.int(1, 6);     // a die roll, 1..6 inclusive
 * random.chance(0.1);   // true one time in ten
 * ```
 */
export class SeededRandom {
  /** The 32-bit seed this generator started from. */
  readonly seed: number;
  #state: number;

  constructor(seed: Seed = randomSeed()) {
    this.seed = normalizeSeed('seed', seed);
    this.#state = this.seed;
  }

  /** The next number, uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** `true` with probability `p` (0 never draws `true`, 1 always does). Always consumes one draw. */
  chance(p: number): boolean {
    if (!(typeof p === 'number' && p >= 0 && p <= 1)) throw new RangeError(`p must be a probability in [0, 1], got ${describeValue(p)}`);
    return this.next() < p;
  }

  /** A number uniform in [min, max). */
  uniform(min: number, max: number): number {
    checkRange(min, max, false);
    return min + (max - min) * this.next();
  }

  /** An integer uniform in [min, max] (inclusive). */
  int(min: number, max: number): number {
    checkRange(min, max, true);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /**
   * An index drawn with probability proportional to `weights[index]` (non-negative, at least one
   * positive).
   */
  weightedIndex(weights: readonly number[]): number {
    if (!Array.isArray(weights)) throw new TypeError(`weights must be an array of numbers, got ${describeValue(weights)}`);
    let total = 0;
    for (const weight of weights) {
      if (!(typeof weight === 'number' && weight >= 0 && weight < Infinity)) {
        throw new RangeError(`weights must hold finite numbers >= 0, got ${describeValue(weight)}`);
      }
      total += weight;
    }
    if (total <= 0) throw new RangeError('weights must hold at least one positive weight');
    let point = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      point -= weights[i] as number;
      if (point < 0) return i;
    }
    // Rounding can leave a hair above 0: the last index with a positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] as number) > 0) return i;
    return weights.length - 1;
  }
}

/** `min` and `max`: finite numbers (integers for `int`), `min <= max`. */
function checkRange(min: unknown, max: unknown, integers: boolean): void {
  const ok = (value: unknown): boolean =>
    typeof value === 'number' && (integers ? Number.isSafeInteger(value) : Number.isFinite(value));
  const kind = integers ? 'a safe integer' : 'a finite number';
  if (!ok(min)) throw new TypeError(`min must be ${kind}, got ${describeValue(min)}`);
  if (!ok(max)) throw new TypeError(`max must be ${kind}, got ${describeValue(max)}`);
  if ((min as number) > (max as number)) throw new RangeError(`min (${String(min)}) must not be greater than max (${String(max)})`);
}
