// Memory and propagation: bytes per running idle scope; what 1,000,000 scopes run under one
// long-lived parent leave after GC (beside AbortSignal.any); cancelling a parent with 100,000
// children; a 10,000-deep chain. SPEC §9: < 700 B per running idle scope; nothing retained; every child
// rejected within 300 ms.
import { Cancelable } from 'cancelable-ts';
import { libraryStorage } from '../baselines.mjs';
import { gc, heapAfterGC, median, now, quick, report } from '../lib.mjs';

const rows = [];
const targets = [];

// 1. Bytes per running idle scope (its body awaits a shared gate), net of the same idle body alone.
// The library's AsyncLocalStorage turns on V8's promise hooks, which make every promise heavier: turn
// them on (through the library's own storage) before the baseline bodies are created, or each scope's
// body looks ~190 B heavier than its baseline.
{
  const n = quick ? 10_000 : 100_000;
  let open;
  const gate = new Promise((resolve) => (open = resolve));
  const idleBody = async () => {
    await gate;
  };
  await new Cancelable().run(async () => 1);
  const base = await heapAfterGC();
  const bare = [];
  for (let i = 0; i < n; i++) bare.push(idleBody());
  const withBare = await heapAfterGC();
  const scopes = [];
  const runs = [];
  for (let i = 0; i < n; i++) {
    const scope = new Cancelable();
    scopes.push(scope);
    runs.push(scope.run(idleBody));
  }
  const withScopes = await heapAfterGC();
  const perBody = (withBare - base) / n;
  // Each scope runs its own idle body, so the heap it adds holds one body too: take the body out.
  const perScope = (withScopes - withBare) / n - perBody;
  rows.push({ name: 'idle async body alone (anchor)', unit: 'B', median: perBody });
  rows.push({ name: 'running idle scope (scope + run promise), net of its body', unit: 'B', median: perScope, note: `${n} scopes` });
  targets.push({ target: 'a running idle scope < 700 bytes', value: perScope, unit: 'B', limit: 700, ok: perScope < 700 });
  open();
  await Promise.all(runs);
  await Promise.all(bare);
}

// 2. 1,000,000 scopes run under one long-lived parent: retained after GC; AbortSignal.any beside it.
{
  const n = quick ? 50_000 : 1_000_000;
  const parent = new Cancelable({ name: 'long-lived' });
  let retained = 0;
  await parent.run(async () => {
    const before = await heapAfterGC();
    for (let i = 0; i < n; i++) await new Cancelable().run(async () => 1);
    retained = (await heapAfterGC()) - before;
  });
  rows.push({ name: `${n.toLocaleString('en')} child scopes run under a long-lived parent: retained after GC`, unit: 'B/scope', median: retained / n });
  targets.push({
    target: '1,000,000 scopes under one parent leave nothing retained after GC',
    value: retained / n,
    unit: 'B/scope',
    limit: 1,
    ok: retained / n < 1,
    note: 'under 1 B per scope counts as nothing (heap noise)',
  });

  const longLived = new AbortController();
  const before = await heapAfterGC();
  for (let i = 0; i < n; i++) {
    const own = new AbortController();
    const signal = AbortSignal.any([longLived.signal, own.signal]);
    await Promise.resolve(signal);
  }
  const anyRetained = (await heapAfterGC()) - before;
  rows.push({ name: `${n.toLocaleString('en')} AbortSignal.any([long-lived, own]) (anchor): retained after GC`, unit: 'B/op', median: anyRetained / n });
}

// 3. Cancelling a parent with 100,000 running children: until every child's run() has rejected.
// Three rounds, GC before each (the median is the figure; the first round also pays the JIT warm-up).
{
  const n = quick ? 10_000 : 100_000;
  const propagate = [];
  const settle = [];
  const floorSettle = [];
  for (let round = 0; round < (quick ? 1 : 3); round++) {
    // The structural floor first, then the library, GC before each: interleaved rounds.
    await gc();
    floorSettle.push(await fanOutFloor(n));
    await gc();
    const parent = new Cancelable({ name: 'parent', graceMs: Infinity });
    const parentRun = parent.run(async (scope) => {
      const children = [];
      for (let i = 0; i < n; i++) children.push(new Cancelable({ graceMs: Infinity }).run((child) => child.sleep(3_600_000)));
      await new Promise((resolve) => setImmediate(resolve));
      const start = now();
      scope.cancel('stop');
      propagate.push((now() - start) / 1e6);
      await Promise.allSettled(children);
      settle.push((now() - start) / 1e6);
    });
    await parentRun.catch(() => {});
  }
  const settleMs = median(settle);
  const label = `cancel a parent with ${n.toLocaleString('en')} children`;
  rows.push({ name: `${label}: cancel() returns (all signalled)`, unit: 'ms', median: median(propagate), min: Math.min(...propagate), max: Math.max(...propagate) });
  rows.push({ name: `${label}: every child run() rejected`, unit: 'ms', median: settleMs, min: Math.min(...settle), max: Math.max(...settle) });
  targets.push({ target: 'cancelling a parent with 100,000 children: every child rejected within 300 ms', value: settleMs, unit: 'ms', limit: 300, ok: settleMs <= 300 });
  const floorMs = median(floorSettle);
  rows.push({
    name: `${label}: structural floor (each pending promise rejected with its own error, same rounds)`,
    unit: 'ms',
    median: floorMs,
    min: Math.min(...floorSettle),
    max: Math.max(...floorSettle),
  });
  rows.push({ name: `${label}: the library / the structural floor (medians)`, unit: 'x', median: settleMs / floorMs });
}

/**
 * The structural floor of the fan-out, in the same process and rounds as the library's: what any design
 * that keeps SPEC §2-§5 must do at least when a parent with `n` running children is cancelled. Each
 * child is an object holding its body's pending promise (as `sleep` does) and a run promise of its own
 * that watches the body inside the async context (the hooks on, as with the library); the cancel walks
 * the children, gives each its own error without a stack trace (SPEC: one error per child, its signal's
 * reason and its rejection), and rejects each body. Timed until every run promise has rejected.
 */
async function fanOutFloor(n) {
  const storage = libraryStorage(); // one storage in the process, as with the library alone
  class FloorError extends Error {
    constructor(message, parentId, cause) {
      super(message);
      this.reason = 'parent';
      this.parentId = parentId;
      this.cause = cause;
    }
  }
  const children = [];
  const runs = [];
  storage.run({}, () => {
    for (let i = 0; i < n; i++) {
      const child = { reject: undefined, error: undefined };
      const body = new Promise((resolve, reject) => {
        child.reject = reject;
      });
      children.push(child);
      runs.push(storage.run(child, () => new Promise((resolve, reject) => body.then(resolve, reject))));
    }
  });
  await new Promise((resolve) => setImmediate(resolve));
  const start = now();
  const cause = new Error('stop');
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  for (const child of children) child.error = new FloorError(`Parent 'parent' was cancelled: stop`, 'parent-id', cause);
  Error.stackTraceLimit = limit;
  for (const child of children) child.reject(child.error);
  await Promise.allSettled(runs);
  return (now() - start) / 1e6;
}

// 4. A 10,000-deep chain: cancel the root, every level rejects.
{
  const depth = quick ? 2_000 : 10_000;
  let root;
  let started;
  const allStarted = new Promise((resolve) => (started = resolve));
  const levels = [];
  const nest = async (scope, level) => {
    if (level === depth) {
      started();
      await scope.sleep(3_600_000);
      return;
    }
    await null; // no deep synchronous recursion
    const child = new Cancelable({ graceMs: Infinity });
    const run = child.run((c) => nest(c, level + 1));
    levels.push(run);
    await run;
  };
  root = new Cancelable({ graceMs: Infinity });
  const rootRun = root.run((scope) => nest(scope, 0));
  await allStarted;
  const start = now();
  root.cancel('stop');
  const propagateMs = (now() - start) / 1e6;
  await Promise.allSettled(levels);
  await rootRun.catch(() => {});
  const settleMs = (now() - start) / 1e6;
  rows.push({ name: `${depth.toLocaleString('en')}-deep chain: cancel() returns (all signalled)`, unit: 'ms', median: propagateMs });
  rows.push({ name: `${depth.toLocaleString('en')}-deep chain: every level rejected`, unit: 'ms', median: settleMs });
}

report({ figure: 'Memory and propagation', rows, targets });
