// Memory and propagation: bytes per running idle scope; what 1,000,000 scopes run under one
// long-lived parent leave after GC (beside AbortSignal.any); cancelling a parent with 100,000
// children; a 10,000-deep chain. SPEC §9: < 700 B per running idle scope; nothing retained; every child
// rejected within 300 ms.
import { Cancelable } from 'cancelable-ts';
import { gc, heapAfterGC, now, quick, report } from '../lib.mjs';

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
  for (let round = 0; round < (quick ? 1 : 3); round++) {
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
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const settleMs = median(settle);
  const label = `cancel a parent with ${n.toLocaleString('en')} children`;
  rows.push({ name: `${label}: cancel() returns (all signalled)`, unit: 'ms', median: median(propagate), min: Math.min(...propagate), max: Math.max(...propagate) });
  rows.push({ name: `${label}: every child run() rejected`, unit: 'ms', median: settleMs, min: Math.min(...settle), max: Math.max(...settle) });
  targets.push({ target: 'cancelling a parent with 100,000 children: every child rejected within 300 ms', value: settleMs, unit: 'ms', limit: 300, ok: settleMs <= 300 });
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
