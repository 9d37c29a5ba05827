import { getDefaultClock, isClock, setDefaultClock, type Clock, type TimerHandle } from '../core/clock.js';
import { checkDuration, checkFunction, checkInteger, checkKnownKeys, describeValue } from '../core/validate.js';

// Captured at load: flushing must take a real turn of the event loop even under fake timers.
const realSetImmediate = globalThis.setImmediate;

/**
 * Lets every pending promise continuation run: waits one real event-loop turn (a `setImmediate`
 * captured at load, so fake timers don't stop it), by which time all microtasks have drained.
 * @example
 * ```ts
 * const next = stream.next();
 * await flushMicrotasks();
 * expect(clock.pendingTimers).toBe(1); // the stream's delay is now armed
 * ```
 */
export function flushMicrotasks(): Promise<void> {
  return new Promise<void>((resolve) => realSetImmediate(resolve));
}

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly seq: number;
  readonly callback: (arg: unknown) => void;
  readonly arg: unknown;
  cleared: boolean;
}

/** A timer handle of a {@link ManualClock}: opaque, but readable in a debugger. */
export interface ManualTimerHandle {
  readonly manualTimerId: number;
}

/** Options of {@link ManualClock}. */
export interface ManualClockOptions {
  /** The starting time, epoch milliseconds or a Date. Default `0`, so that `now()` is the elapsed time. */
  now?: number | Date;
  /**
   * How many timers one `advance`/`runAll` may fire before it throws (an endless chain of timers,
   * e.g. a polling loop under `runAll`). Default `100_000`.
   */
  loopLimit?: number;
}

const DEFAULT_LOOP_LIMIT = 100_000;

/**
 * A clock that only moves when the test moves it: timeouts, deadlines, grace periods, `scope.sleep`,
 * condition polling and chunk flushing all run on it when it is given as a scope's `clock` option or
 * installed as the default clock ({@link installClock}). Tests then run instantly and deterministically.
 *
 * {@link ManualClock.advance} moves time forward and fires the due timers in order (by time, then by
 * creation), letting promise continuations run after each one, so that a body's `await scope.sleep(10)`
 * followed by another sleep behaves as it would in real time. {@link ManualClock.advanceSync} does the
 * same without waiting for promises. Timers never keep the process alive.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const run = Cancelable.withTimeout(5_000, { clock }).run((scope) => scope.sleep(60_000));
 * await clock.advance(5_000);
 * await expect(run).rejects.toBeInstanceOf(TimeoutCancelation);
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #heap: ManualTimer[] = [];
  #live = new Map<number, ManualTimer>();
  #nextId = 1;
  #seq = 0;
  readonly #loopLimit: number;
  #firing = false;

  constructor(options?: ManualClockOptions) {
    checkKnownKeys('options', options, new Set(['now', 'loopLimit']));
    const start = options?.now === undefined ? 0 : options.now;
    const ms = start instanceof Date ? start.getTime() : start;
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      throw new TypeError(`options.now must be a Date or finite epoch milliseconds, got ${describeValue(start)}`);
    }
    this.#now = ms;
    this.#loopLimit =
      options?.loopLimit === undefined ? DEFAULT_LOOP_LIMIT : checkInteger('options.loopLimit', options.loopLimit, 1);
  }

  /** The clock's current time, epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `callback(arg)` at `now() + ms` (negative or non-finite delays count as 0, like Node). */
  setTimeout<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle {
    checkFunction('callback', callback);
    const delay = typeof ms === 'number' && ms > 0 && Number.isFinite(ms) ? ms : 0;
    const timer: ManualTimer = {
      id: this.#nextId++,
      at: this.#now + delay,
      seq: this.#seq++,
      callback: callback as (arg: unknown) => void,
      arg,
      cleared: false,
    };
    this.#live.set(timer.id, timer);
    this.#push(timer);
    const handle: ManualTimerHandle = { manualTimerId: timer.id };
    return handle;
  }

  /** Cancels a timer; a no-op for a handle that already fired, was cleared, or is not this clock's. */
  clearTimeout(handle: TimerHandle): void {
    const id = (handle as Partial<ManualTimerHandle> | null | undefined)?.manualTimerId;
    if (typeof id !== 'number') return;
    const timer = this.#live.get(id);
    if (timer === undefined) return;
    timer.cleared = true;
    this.#live.delete(id);
  }

  /** A no-op: manual timers never keep the process alive. */
  unref(_handle: TimerHandle): void {}

  /** How many timers are scheduled and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#live.size;
  }

  /** When the next timer is due (epoch ms), or `undefined` if none is pending. */
  nextTimerAt(): number | undefined {
    return this.#peek()?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way in order (timers scheduled meanwhile
   * included, when due within the window). Before the first timer and after each one it lets pending
   * promise continuations run, so async code reacts as it would in real time. Resolves with the number
   * of timers fired. A timer callback that throws rejects the call (after time reached its target).
   * @example
   * ```ts
   * await clock.advance(1_000);
   * ```
   */
  async advance(ms: number): Promise<number> {
    checkDuration('ms', ms);
    const target = this.#now + ms;
    await flushMicrotasks();
    return this.#runUntil(target, true);
  }

  /**
   * Like {@link ManualClock.advance}, but synchronous: promise continuations do not run between
   * timers (a body awaiting a fired timer resumes only after this returns). Returns the number fired.
   */
  advanceSync(ms: number): number {
    checkDuration('ms', ms);
    return this.#runUntil(this.#now + ms, false);
  }

  /**
   * Fires the next pending timer (moving time to it), then lets promise continuations run. Resolves
   * with `false` when no timer was pending.
   */
  async runNext(): Promise<boolean> {
    await flushMicrotasks();
    const next = this.#peek();
    if (next === undefined) return false;
    await this.#runUntil(next.at, true, 1);
    return true;
  }

  /**
   * Fires timers, moving time forward to each, until none is pending (timers scheduled meanwhile
   * included). Throws after `loopLimit` timers: an interval-like chain (e.g. condition polling) never
   * ends; use {@link ManualClock.advance} for those. Resolves with the number fired.
   */
  async runAll(): Promise<number> {
    await flushMicrotasks();
    let fired = 0;
    for (;;) {
      const next = this.#peek();
      if (next === undefined) return fired;
      if (fired >= this.#loopLimit) throw this.#loopError(fired);
      fired += await this.#runUntil(next.at, true, this.#loopLimit - fired);
    }
  }

  /**
   * Moves time to `epochMs` without firing anything (like a wall-clock jump); timers keep their due
   * time, so moving backwards delays them. Use it to test deadlines against a clock that jumps.
   */
  setTime(epochMs: number | Date): void {
    const ms = epochMs instanceof Date ? epochMs.getTime() : epochMs;
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      throw new TypeError(`epochMs must be a Date or finite epoch milliseconds, got ${describeValue(epochMs)}`);
    }
    this.#now = ms;
  }

  /** Drops every pending timer without firing it. */
  reset(): void {
    for (const timer of this.#live.values()) timer.cleared = true;
    this.#live.clear();
    this.#heap = [];
  }

  #runUntil(target: number, flush: true, max?: number): Promise<number>;
  #runUntil(target: number, flush: false, max?: number): number;
  #runUntil(target: number, flush: boolean, max = this.#loopLimit): Promise<number> | number {
    if (this.#firing) {
      throw new Error('ManualClock: the clock is already being advanced; await the running advance()/runAll() first');
    }
    this.#firing = true;
    let fired = 0;
    let failure: { error: unknown } | undefined;
    const step = (): boolean => {
      const next = this.#peek();
      if (next === undefined || next.at > target || fired >= max) return false;
      this.#pop();
      this.#live.delete(next.id);
      if (next.at > this.#now) this.#now = next.at;
      fired++;
      try {
        next.callback(next.arg);
      } catch (error) {
        failure ??= { error };
      }
      return true;
    };
    const end = (): number => {
      this.#firing = false;
      if (failure !== undefined) {
        if (this.#now < target) this.#now = target;
        throw failure.error;
      }
      if (fired >= this.#loopLimit) {
        const next = this.#peek();
        if (next !== undefined && next.at <= target) throw this.#loopError(fired);
      }
      if (this.#now < target) this.#now = target;
      return fired;
    };
    if (!flush) {
      while (step());
      return end();
    }
    return (async () => {
      try {
        while (step()) await flushMicrotasks();
      } catch (error) {
        this.#firing = false;
        throw error;
      }
      return end();
    })();
  }

  #loopError(fired: number): Error {
    return new Error(
      `ManualClock: fired ${fired} timers without running out (loopLimit ${this.#loopLimit}); an endless ` +
        `timer chain such as condition polling never ends under runAll(): use advance(ms) instead`,
    );
  }

  // ---- a binary min-heap on (at, seq), with lazy removal of cleared timers

  #peek(): ManualTimer | undefined {
    const heap = this.#heap;
    while (heap.length > 0 && (heap[0] as ManualTimer).cleared) this.#pop();
    return heap[0];
  }

  #push(timer: ManualTimer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i] as ManualTimer, heap[parent] as ManualTimer)) break;
      [heap[i], heap[parent]] = [heap[parent] as ManualTimer, heap[i] as ManualTimer];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && earlier(heap[left] as ManualTimer, heap[smallest] as ManualTimer)) smallest = left;
      if (right < heap.length && earlier(heap[right] as ManualTimer, heap[smallest] as ManualTimer)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as ManualTimer, heap[i] as ManualTimer];
      i = smallest;
    }
  }
}

function earlier(a: ManualTimer, b: ManualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** A clock installed as the default by {@link installClock}; `uninstall()` (or `using`) restores the previous one. */
export interface InstalledClock<C extends Clock> {
  /** The installed clock. */
  readonly clock: C;
  /** Restores the clock that was the default before (idempotent). */
  uninstall(): void;
  [Symbol.dispose](): void;
}

/**
 * Makes `clock` (default: a new {@link ManualClock}) the default clock of scopes created from now on
 * (scopes read the default clock when they are constructed) and of sources started outside a scope.
 * Call `uninstall()` (or declare it with `using`) to restore the previous clock.
 * @example
 * ```ts
 * using installed = installClock();
 * const run = Cancelable.withTimeout(1_000).run((scope) => scope.sleep(5_000));
 * await installed.clock.advance(1_000); // the timeout fires
 * ```
 */
export function installClock<C extends Clock = ManualClock>(clock?: C): InstalledClock<C> {
  const installed = (clock === undefined ? new ManualClock() : clock) as C;
  if (!isClock(installed)) {
    throw new TypeError(`clock must be a Clock, got ${describeValue(installed)}`);
  }
  const previous = setDefaultClock(installed);
  let active = true;
  const uninstall = (): void => {
    if (!active) return;
    active = false;
    // Only restore if nobody installed another clock on top meanwhile (restore in LIFO order).
    if (getDefaultClock() === installed) setDefaultClock(previous);
  };
  return { clock: installed, uninstall, [Symbol.dispose]: uninstall };
}

/**
 * Runs `fn(clock)` with `clock` (default: a new {@link ManualClock}) installed as the default clock,
 * and restores the previous one when `fn` settles, whatever happens.
 * @example
 * ```ts
 * await useClock(async (clock) => {
 *   const run = Cancelable.withTimeout(1_000).run((scope) => scope.sleep(5_000));
 *   await clock.advance(1_000);
 *   await expect(run).rejects.toThrow('timed out');
 * });
 * ```
 */
export function useClock<R>(fn: (clock: ManualClock) => R | PromiseLike<R>): Promise<R>;
export function useClock<C extends Clock, R>(clock: C, fn: (clock: C) => R | PromiseLike<R>): Promise<R>;
export async function useClock<C extends Clock, R>(
  clockOrFn: C | ((clock: ManualClock) => R | PromiseLike<R>),
  maybeFn?: (clock: C) => R | PromiseLike<R>,
): Promise<R> {
  if (typeof clockOrFn === 'function') {
    const installed = installClock(new ManualClock());
    try {
      return await clockOrFn(installed.clock);
    } finally {
      installed.uninstall();
    }
  }
  const fn = checkFunction('fn', maybeFn);
  if (fn === undefined) throw new TypeError('fn must be a function, got undefined');
  const installed = installClock(clockOrFn);
  try {
    return await fn(installed.clock);
  } finally {
    installed.uninstall();
  }
}
