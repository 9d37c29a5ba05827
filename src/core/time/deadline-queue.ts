/**
 * The shared deadline queue: one host timer per distinct duration, instead of one per scope. Timers of
 * one duration fall due in the order they were armed (their due times are start + the same duration,
 * on a monotonic clock), so each duration keeps a FIFO list and one timer for its head. The timer is
 * re-armed lazily when it fires (not when an entry is cleared), and ref'd only while its list holds an
 * entry that keeps the process alive: a pending timeout still keeps the process alive, a cleared one
 * never does. An entry never fires early and at most ~1 ms late (timers have millisecond grain).
 *
 * Used only while the clock is the system clock and the host's timer functions are the ones loaded
 * with the library: fake timers installed later (vitest, @sinonjs/fake-timers) get one real timer per
 * scope through their own `setTimeout`, as before.
 */
import { hostClearTimeout, hostSetTimeout, hostTimeInPlace, monotonicNow } from './monotonic.js';
import { singleton } from '../runtime.js';

/** One armed deadline. */
export class Deadline {
  next: Deadline | undefined = undefined;
  prev: Deadline | undefined = undefined;
  /** Whether this entry keeps the process alive (`unref` turns it off). */
  refed = true;
  constructor(
    readonly list: DurationList,
    readonly due: number,
    public callback: ((arg: never) => void) | undefined,
    public arg: unknown,
  ) {}
}

interface HostTimer {
  ref?(): unknown;
  unref?(): unknown;
  hasRef?(): boolean;
}

/** The FIFO list and the host timer of one duration. */
class DurationList {
  head: Deadline | undefined = undefined;
  tail: Deadline | undefined = undefined;
  timer: HostTimer | undefined = undefined;
  /** Entries that keep the process alive. */
  refs = 0;
  constructor(readonly ms: number) {}
}

const lists = new Map<number, DurationList>();
/**
 * Whether the queue may serve a timer now: the host's own timers and clock, unchanged since load (with
 * them in place, {@link monotonicNow} reads the host's clock; fake timers replace them).
 */
export function deadlineQueueUsable(): boolean {
  return hostTimeInPlace();
}

/** Arms `callback(arg)` to run `ms` after `start` (a {@link monotonicNow} reading; default now). */
export function armDeadline<T>(callback: (arg: T) => void, ms: number, arg: T, start = monotonicNow()): Deadline {
  let list = lists.get(ms);
  if (list === undefined) lists.set(ms, (list = new DurationList(ms)));
  const entry = new Deadline(list, start + ms, callback, arg);
  const tail = list.tail;
  if (tail === undefined) list.head = entry;
  else {
    tail.next = entry;
    entry.prev = tail;
  }
  list.tail = entry;
  if (list.refs++ === 0 && list.timer !== undefined) list.timer.ref?.();
  if (list.timer === undefined) armHost(list, ms);
  return entry;
}

/** Clears an armed deadline (a no-op when it fired or was cleared). */
export function clearDeadline(entry: Deadline): void {
  if (entry.callback === undefined) return;
  entry.callback = undefined;
  entry.arg = undefined;
  unlink(entry);
}

/** Lets the process exit while only this deadline is pending. */
export function unrefDeadline(entry: Deadline): void {
  if (entry.callback === undefined || !entry.refed) return;
  entry.refed = false;
  const list = entry.list;
  if (--list.refs === 0) list.timer?.unref?.();
}

function unlink(entry: Deadline): void {
  const list = entry.list;
  const { prev, next } = entry;
  if (prev === undefined) list.head = next;
  else prev.next = next;
  if (next === undefined) list.tail = prev;
  else next.prev = prev;
  entry.prev = entry.next = undefined;
  // The host timer stays armed (Node keeps its per-duration list: re-arming is cheaper), unref'd once
  // nothing in the list keeps the process alive.
  if (entry.refed && --list.refs === 0) list.timer?.unref?.();
}

function armHost(list: DurationList, delay: number): void {
  const timer = hostSetTimeout(fire, delay, list) as unknown as HostTimer;
  if (list.refs === 0) timer.unref?.();
  list.timer = timer;
}

function fire(list: DurationList): void {
  list.timer = undefined;
  const now = monotonicNow();
  let entry = list.head;
  while (entry !== undefined && entry.due <= now) {
    const { callback, arg } = entry;
    clearDeadline(entry); // unlinks: the head moves on
    callback?.(arg as never);
    entry = list.head;
  }
  if (entry !== undefined) {
    // Not due yet (armed after this timer, or the timer's millisecond grain): wait for the rest.
    if (list.timer === undefined) armHost(list, Math.max(1, Math.ceil(entry.due - now)));
  } else if (list.timer === undefined) {
    lists.delete(list.ms);
  }
}

/** Clears this copy's idle host timers (see {@link releaseIdleDeadlineTimers}). */
function releaseOwnIdleTimers(): number {
  let released = 0;
  for (const list of lists.values()) {
    if (list.head !== undefined || list.timer === undefined) continue;
    hostClearTimeout(list.timer as never);
    list.timer = undefined;
    lists.delete(list.ms);
    released++;
  }
  return released;
}

// Every copy of the library loaded in the process (ESM and CommonJS builds) has its own queue: each
// registers its release here, on the shared runtime, so one call releases them all.
const releasers = singleton('deadline-queue-releasers', () => new Set<() => number>());
releasers.add(releaseOwnIdleTimers);

/**
 * Clears the host timers kept for durations that have no pending deadline (an idle duration keeps its
 * unref'd timer until it would have fired: re-arming the next deadline of that duration is then
 * cheaper), in every copy of the library loaded in the process. They never keep the process alive; a
 * leak check that also counts unref'd timers calls this first. Returns how many it cleared.
 */
export function releaseIdleDeadlineTimers(): number {
  let released = 0;
  for (const release of releasers) released += release();
  return released;
}

/** @internal How many durations have a list, and how many entries are pending (tests). */
export function deadlineQueueStats(): { durations: number; pending: number; hostTimers: number } {
  let pending = 0;
  let hostTimers = 0;
  for (const list of lists.values()) {
    for (let entry = list.head; entry !== undefined; entry = entry.next) pending++;
    if (list.timer !== undefined) hostTimers++;
  }
  return { durations: lists.size, pending, hostTimers };
}
