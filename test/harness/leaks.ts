/**
 * Leak and GC helpers for the test suite.
 *
 * - `snapshotResources()` records what the process holds right now: counts of the watched
 *   `process.getActiveResourcesInfo()` types (ref'd timers, immediates, pipes, sockets, servers,
 *   child-process handles), the unref'd timers, servers and sockets still pending or open (Node's
 *   list leaves them out: a `close()` that left an unref'd server listening would pass unseen),
 *   process listener counts for signals and IPC/lifecycle events, and the live worker threads /
 *   child processes started since this module was loaded. The core's deadline queue keeps one idle
 *   unref'd host timer per duration for reuse: it is released before each snapshot.
 * - `assertNoLeaks(baseline)` waits for things to settle (real `setImmediate` turns, then real
 *   short sleeps up to `settleMs`) and throws if anything is still above the baseline.
 * - `expectCollected(factory)` asserts the object returned by `factory` is garbage-collected
 *   once the factory's references are gone (WeakRef + FinalizationRegistry + `global.gc`, which
 *   the vitest config exposes with `--expose-gc`).
 *
 * Everything here uses the real timer functions captured at import time, so it keeps working
 * while a test has `vi.useFakeTimers()` (or @sinonjs/fake-timers) installed.
 */
import { subscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import net from 'node:net';
import { releaseIdleDeadlineTimers } from '../../src/core/index.js';

// ---- real timers, captured before any test can install fakes -----------------------------
const realSetImmediate: typeof setImmediate = globalThis.setImmediate;
const realSetTimeout: typeof setTimeout = globalThis.setTimeout;
const realHrtimeBigint: () => bigint = process.hrtime.bigint.bind(process.hrtime);
const nowMs = (): number => Number(realHrtimeBigint() / 1_000_000n);

/** `getActiveResourcesInfo()` types that count as leaks when above the baseline. */
export const WATCHED_RESOURCES: readonly string[] = [
  'Timeout', // ref'd timers only: Node does not report unref'd timers here
  'Immediate',
  'ProcessWrap', // a child process (stays until shortly after 'exit')
  'ChildProcess',
  'Worker',
  'MessagePort',
  'PipeWrap', // child stdio, IPC channels, unix sockets
  'PipeServerWrap',
  'PipeConnectWrap',
  'TCPSocketWrap',
  'TCPServerWrap',
  'TCPWrap',
  'UDPWrap',
  'FSEventWrap',
  'StatWatcher',
];

/** Process events whose listener count must return to the baseline. */
export const WATCHED_EVENTS: readonly string[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGUSR1',
  'SIGUSR2',
  'SIGBREAK',
  'SIGQUIT',
  'message',
  'disconnect',
  'exit',
  'beforeExit',
  'uncaughtException',
  'unhandledRejection',
];

// ---- live worker threads and child processes ----------------------------------------------
// Worker threads do not show up in getActiveResourcesInfo() on Node 20, so they are tracked
// through the process 'worker' event; child processes through the built-in
// 'child_process' diagnostics channel (gives a readable description, not only a count).
const liveWorkers = new Set<Worker>();
const liveChildren = new Set<ChildProcess>();

process.on('worker', (worker: Worker) => {
  liveWorkers.add(worker);
  worker.once('exit', () => liveWorkers.delete(worker));
});

subscribe('child_process', (message) => {
  const child = (message as { process?: ChildProcess }).process;
  if (!child) return;
  if (child.exitCode !== null || child.signalCode !== null) return;
  liveChildren.add(child);
  const done = (): void => {
    liveChildren.delete(child);
  };
  child.once('exit', done);
  child.once('close', done);
  child.once('error', () => {
    if (child.pid === undefined || child.exitCode !== null) done();
  });
});

// ---- unref'd handles ------------------------------------------------------------------------
// getActiveResourcesInfo() lists only what keeps the event loop alive. Timers, servers and sockets
// that were unref'd are tracked here instead, from the moment `unref()` is called on them (patched
// prototypes; no async_hooks, so no cost per promise), and count while still pending or open.
// Weak references: a tracked timer must not keep what its callback holds (a scope) alive.
type Timer = { _destroyed?: boolean };
const unrefTimers = new Set<WeakRef<Timer>>();
const unrefServers = new Set<WeakRef<net.Server>>();
const unrefSockets = new Set<WeakRef<net.Socket>>();

function track<T extends object>(set: Set<WeakRef<T>>, item: T, alive: (item: T) => boolean): void {
  set.add(new WeakRef(item));
  if (set.size % 1_024 === 0) countAlive(set, alive); // prune: keep the set small
}
const timerAlive = (timer: Timer): boolean => timer._destroyed !== true;
const serverAlive = (server: net.Server): boolean => server.listening;
const socketAlive = (socket: net.Socket): boolean => !socket.destroyed;

{
  const probe = realSetTimeout(() => undefined, 0);
  const timeoutProto = Object.getPrototypeOf(probe) as { unref(): unknown };
  clearTimeout(probe);
  const unrefTimer = timeoutProto.unref;
  timeoutProto.unref = function (this: Timer) {
    track(unrefTimers, this, timerAlive);
    return unrefTimer.call(this);
  };
  const unrefServer = net.Server.prototype.unref;
  net.Server.prototype.unref = function (this: net.Server) {
    track(unrefServers, this, serverAlive);
    return unrefServer.call(this);
  };
  const unrefSocket = net.Socket.prototype.unref;
  net.Socket.prototype.unref = function (this: net.Socket) {
    track(unrefSockets, this, socketAlive);
    return unrefSocket.call(this);
  };
}

/** How many tracked items are still pending or open; drops the others. */
function countAlive<T extends object>(set: Set<WeakRef<T>>, alive: (item: T) => boolean): number {
  let n = 0;
  for (const ref of set) {
    const item = ref.deref();
    if (item !== undefined && alive(item)) n++;
    else set.delete(ref);
  }
  return n;
}

// ---- snapshots ----------------------------------------------------------------------------
export interface ResourceSnapshot {
  /** Counts per watched `process.getActiveResourcesInfo()` type (missing = 0). */
  readonly resources: Readonly<Record<string, number>>;
  /** `process.listenerCount(event)` per watched event. */
  readonly listeners: Readonly<Record<string, number>>;
  /** Worker threads created since the harness loaded that have not exited. */
  readonly workers: number;
  /** Child processes spawned since the harness loaded that have not exited. */
  readonly children: number;
}

export interface Leak {
  readonly kind: 'resource' | 'listener' | 'worker' | 'child';
  readonly name: string;
  readonly baseline: number;
  readonly current: number;
}

export function snapshotResources(): ResourceSnapshot {
  releaseIdleDeadlineTimers();
  const resources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (WATCHED_RESOURCES.includes(type)) resources[type] = (resources[type] ?? 0) + 1;
  }
  const unref: [string, number][] = [
    ["unref'd Timeout", countAlive(unrefTimers, timerAlive)],
    ["unref'd server", countAlive(unrefServers, serverAlive)],
    ["unref'd socket", countAlive(unrefSockets, socketAlive)],
  ];
  for (const [name, n] of unref) if (n > 0) resources[name] = n;
  const listeners: Record<string, number> = {};
  for (const event of WATCHED_EVENTS) listeners[event] = process.listenerCount(event);
  return { resources, listeners, workers: liveWorkers.size, children: liveChildren.size };
}

function minSnapshot(a: ResourceSnapshot, b: ResourceSnapshot): ResourceSnapshot {
  const resources: Record<string, number> = {};
  for (const name of new Set([...Object.keys(a.resources), ...Object.keys(b.resources)])) {
    const n = Math.min(a.resources[name] ?? 0, b.resources[name] ?? 0);
    if (n > 0) resources[name] = n;
  }
  const listeners: Record<string, number> = {};
  for (const name of WATCHED_EVENTS) listeners[name] = Math.min(a.listeners[name] ?? 0, b.listeners[name] ?? 0);
  return {
    resources,
    listeners,
    workers: Math.min(a.workers, b.workers),
    children: Math.min(a.children, b.children),
  };
}

/**
 * A baseline without the runner's transient timers. Vitest keeps a ref'd throttle timer
 * (<= 100 ms) alive after every task update; a baseline that counted it would hide one leaked
 * timer. Samples every ~5 ms of real time, for at most `maxMs` (default 250), until no
 * Timeout/Immediate is active, and keeps the per-type minimum.
 */
export async function snapshotBaseline(options: { readonly maxMs?: number } = {}): Promise<ResourceSnapshot> {
  const { maxMs = 250 } = options;
  let baseline = snapshotResources();
  const deadline = nowMs() + maxMs;
  const timersActive = (snap: ResourceSnapshot): boolean =>
    (snap.resources.Timeout ?? 0) > 0 || (snap.resources.Immediate ?? 0) > 0;
  while (timersActive(baseline) && nowMs() < deadline) {
    await realSleep(5);
    await settle(1);
    baseline = minSnapshot(baseline, snapshotResources());
  }
  return baseline;
}

/** Everything in `current` that is above `baseline` (empty array: no leak). */
export function findLeaks(
  baseline: ResourceSnapshot,
  current: ResourceSnapshot = snapshotResources(),
): Leak[] {
  const leaks: Leak[] = [];
  for (const name of new Set([
    ...Object.keys(baseline.resources),
    ...Object.keys(current.resources),
  ])) {
    const b = baseline.resources[name] ?? 0;
    const c = current.resources[name] ?? 0;
    if (c > b) leaks.push({ kind: 'resource', name, baseline: b, current: c });
  }
  for (const name of WATCHED_EVENTS) {
    const b = baseline.listeners[name] ?? 0;
    const c = current.listeners[name] ?? 0;
    if (c > b) leaks.push({ kind: 'listener', name, baseline: b, current: c });
  }
  if (current.workers > baseline.workers) {
    leaks.push({ kind: 'worker', name: 'worker threads', baseline: baseline.workers, current: current.workers });
  }
  if (current.children > baseline.children) {
    leaks.push({ kind: 'child', name: 'child processes', baseline: baseline.children, current: current.children });
  }
  return leaks;
}

export function describeLeaks(leaks: readonly Leak[]): string {
  const lines = leaks.map((l) => {
    const what = l.kind === 'listener' ? `process listener '${l.name}'` : l.name;
    return `  ${what}: ${l.current} (baseline ${l.baseline}, +${l.current - l.baseline})`;
  });
  if (leaks.some((l) => l.kind === 'child')) {
    for (const child of liveChildren) {
      lines.push(`    child pid=${child.pid ?? '?'} ${child.spawnfile} ${child.spawnargs.slice(1).join(' ')}`);
    }
  }
  if (leaks.some((l) => l.kind === 'worker')) {
    for (const worker of liveWorkers) lines.push(`    worker threadId=${worker.threadId}`);
  }
  return lines.join('\n');
}

/** Waits `turns` real event-loop turns (real setImmediate, immune to fake timers). */
export async function settle(turns = 1): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => realSetImmediate(resolve));
}

/** Waits `ms` of real time (real setTimeout, immune to fake timers). */
export function realSleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => realSetTimeout(resolve, ms));
}

export interface AssertNoLeaksOptions {
  /** Real setImmediate turns to wait before the first check (default 3). */
  readonly settleTurns?: number;
  /**
   * While something is still above the baseline, keep re-checking (every ~5 ms of real time)
   * for up to this long before failing (default 0: judge right after the settle turns).
   * A killed child process, for example, keeps its handles for a few ms after 'exit'.
   */
  readonly settleMs?: number;
  /** Prefix for the error message. */
  readonly label?: string;
}

/** Throws an Error listing everything left above `baseline` once things have settled. */
export async function assertNoLeaks(
  baseline: ResourceSnapshot,
  options: AssertNoLeaksOptions = {},
): Promise<void> {
  const { settleTurns = 3, settleMs = 0, label = 'Leak check' } = options;
  await settle(settleTurns);
  let leaks = findLeaks(baseline);
  const deadline = nowMs() + settleMs;
  while (leaks.length > 0 && nowMs() < deadline) {
    await realSleep(5);
    await settle(1); // let the sleep's own Timeout leave the active list before judging
    leaks = findLeaks(baseline);
  }
  if (leaks.length > 0) {
    throw new Error(`${label}: left behind\n${describeLeaks(leaks)}`);
  }
}

// ---- garbage collection -------------------------------------------------------------------
function getGC(): () => void {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') {
    throw new Error('global.gc is not available: run node with --expose-gc (vitest.config.ts sets it)');
  }
  return () => {
    gc();
  };
}

/** Runs full GCs separated by real macrotask turns (so WeakRef targets can be cleared). */
export async function forceGC(rounds = 2): Promise<void> {
  const gc = getGC();
  for (let i = 0; i < rounds; i++) {
    await settle(1);
    gc();
  }
}

export interface CollectOptions {
  /** GC attempts before giving up (default 10). */
  readonly attempts?: number;
  /** Name used in the error message. */
  readonly label?: string;
}

// Kept in its own function so that no local of the caller's frame holds the object.
async function makeWeak(
  factory: () => object | Promise<object>,
  registry: FinalizationRegistry<string>,
  token: string,
): Promise<WeakRef<object>> {
  const target = await factory();
  if ((typeof target !== 'object' && typeof target !== 'function') || target === null) {
    throw new TypeError('expectCollected: the factory must return an object');
  }
  registry.register(target, token);
  return new WeakRef(target);
}

/**
 * Calls `factory`, keeps only a WeakRef to what it returns, and reports whether that object
 * was garbage-collected after up to `attempts` forced GCs. Whatever the factory set up is free
 * to run in between (the WeakRef is only checked on later macrotask turns).
 */
export async function isCollected(
  factory: () => object | Promise<object>,
  options: CollectOptions = {},
): Promise<boolean> {
  const { attempts = 10 } = options;
  getGC(); // fail fast without --expose-gc
  let finalized = false;
  const registry = new FinalizationRegistry<string>(() => {
    finalized = true;
  });
  const ref = await makeWeak(factory, registry, 'target');
  for (let i = 0; i < attempts; i++) {
    await forceGC(1);
    if (ref.deref() === undefined) {
      // The finalizer is queued as a later task; give it a few turns, but the cleared
      // WeakRef is already proof of collection.
      for (let j = 0; j < 5 && !finalized; j++) await settle(1);
      return true;
    }
  }
  return false;
}

/** Rejects with an Error if the object returned by `factory` is still reachable after GC. */
export async function expectCollected(
  factory: () => object | Promise<object>,
  options: CollectOptions = {},
): Promise<void> {
  if (!(await isCollected(factory, options))) {
    throw new Error(
      `${options.label ?? 'object'} was not garbage-collected after ${options.attempts ?? 10} GC attempts (still retained)`,
    );
  }
}

/** Rejects with an Error if the object returned by `factory` was collected (it should be held). */
export async function expectRetained(
  factory: () => object | Promise<object>,
  options: CollectOptions = {},
): Promise<void> {
  if (await isCollected(factory, options)) {
    throw new Error(`${options.label ?? 'object'} was garbage-collected but should have been retained`);
  }
}

/**
 * Absolute path of a plain-JS entry that registers tsx and then imports the TypeScript file
 * given as its first argument. Node 20 ignores `--import tsx` for a Worker's entry file, so
 * run TS fixtures as `new Worker(TSX_ENTRY, { argv: [file], workerData })` or
 * `fork(TSX_ENTRY, [file, ...args])`.
 */
export const TSX_ENTRY: string = fileURLToPath(new URL('./tsx-entry.mjs', import.meta.url));
