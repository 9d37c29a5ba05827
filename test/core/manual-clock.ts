/**
 * A tiny deterministic clock for the core tests: implements the library's `Clock` interface.
 * `advance(ms)` fires every timer that falls due, in due-time order (ties in arming order), moving
 * `now()` to each timer's time as it fires; timers armed meanwhile fire too when they fall due inside
 * the window. `tick(ms)` does the same but lets promise reactions run after each timer, as a real
 * event loop would.
 */
import type { Clock, TimerHandle } from '../../src/index.js';
import { settle } from '../harness/leaks.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly run: () => void;
}

export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), run: () => callback(arg) });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** The due times of the pending timers, relative to now. */
  get delays(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing due timers in order, synchronously one after the other. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let next = this.#next(end); next !== undefined; next = this.#next(end)) this.#fire(next);
    this.#now = end;
  }

  /**
   * Moves time forward by `ms` like a real event loop would: after each timer fires, promise reactions
   * (and immediates) run before the next timer, so a timer armed by them at the same instant fires after.
   */
  async tick(ms = 0): Promise<void> {
    const end = this.#now + ms;
    await flush();
    for (let next = this.#next(end); next !== undefined; next = this.#next(end)) {
      this.#fire(next);
      await flush();
    }
    this.#now = end;
  }

  #next(end: number): Timer | undefined {
    let next: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.at <= end && (next === undefined || timer.at < next.at || (timer.at === next.at && timer.id < next.id))) {
        next = timer;
      }
    }
    return next;
  }

  #fire(timer: Timer): void {
    this.#timers.delete(timer.id);
    this.#now = Math.max(this.#now, timer.at);
    timer.run();
  }
}

/** Lets pending promise reactions run: a few real macrotask turns (immune to fake timers). */
export async function flush(turns = 3): Promise<void> {
  await settle(turns);
}
