// Scope lifecycle against the anchors: bare try/finally, AbortController, timers, AbortSignal.any,
// Effection and p-timeout. SPEC §9: run() <= 2x bare; >= 10x faster than AbortController + signal +
// listener; withTimeout <= 1.5x setTimeout + clearTimeout + try/finally.
import { Cancelable, CancelationToken } from 'cancelable';
import { run as effectionRun } from 'effection';
import pTimeout from 'p-timeout';
import { report, time } from '../lib.mjs';

const body = async () => 1;
const longMs = 60_000;

// AsyncLocalStorage's promise hooks are process-wide once a scope has run: enable them before the
// anchors too, so that every row pays the same per-promise cost (as in an application using us).
await new Cancelable().run(body);

const rows = [];
async function row(name, fn, note) {
  const stats = await time(fn);
  rows.push({ name, unit: 'ns/op', ...stats, ...(note ? { note } : {}) });
  return stats.median;
}

const bare = await row('bare async try/finally (anchor)', async () => {
  try {
    return await body();
  } finally {
    // nothing
  }
});
const abortController = await row('new AbortController() + .signal + one listener (anchor)', async () => {
  const controller = new AbortController();
  const signal = controller.signal;
  const listener = () => {};
  signal.addEventListener('abort', listener);
  try {
    return await body();
  } finally {
    signal.removeEventListener('abort', listener);
  }
});
const setTimeoutAnchor = await row('setTimeout + clearTimeout + try/finally (anchor)', async () => {
  const timer = setTimeout(() => {}, longMs);
  try {
    return await body();
  } finally {
    clearTimeout(timer);
  }
});
await row('AbortSignal.timeout + one listener (anchor)', async () => {
  const signal = AbortSignal.timeout(longMs);
  const listener = () => {};
  signal.addEventListener('abort', listener);
  try {
    return await body();
  } finally {
    signal.removeEventListener('abort', listener);
  }
});
const longLived = new AbortController();
await row('AbortSignal.any([long-lived, own]) (anchor)', async () => {
  const own = new AbortController();
  const signal = AbortSignal.any([longLived.signal, own.signal]);
  const listener = () => {};
  signal.addEventListener('abort', listener);
  try {
    return await body();
  } finally {
    signal.removeEventListener('abort', listener);
  }
});
await row('effection run() (anchor)', () =>
  // eslint-disable-next-line require-yield -- the smallest Effection operation, as the anchor
  effectionRun(function* () {
    return 1;
  }),
);
await row('p-timeout (anchor)', () => pTimeout(body(), { milliseconds: longMs }));

const scopeRun = await row('Cancelable.run(), never cancelled', () => new Cancelable().run(body));
const parent = new Cancelable({ name: 'long-lived parent' });
await parent.run(async () => {
  await row('Cancelable.run() as child of a long-lived parent', () => new Cancelable().run(body));
});
const withTimeout = await row('Cancelable.withTimeout(60s).run()', () => Cancelable.withTimeout(longMs).run(body));
const token = new CancelationToken();
await row('Cancelable.combine([timeout, token]).run()', () =>
  Cancelable.combine([Cancelable.withTimeout(longMs), token]).run(body),
);
await row('Cancelable.run() reading scope.signal', () => new Cancelable().run(async (scope) => scope.signal));

report({
  figure: 'Scope lifecycle',
  rows,
  targets: [
    {
      target: 'run() never cancelled <= 2x bare async try/finally',
      value: scopeRun / bare,
      unit: 'x',
      limit: 2,
      ok: scopeRun / bare <= 2,
    },
    {
      target: 'run() >= 10x faster than AbortController + signal + listener',
      value: abortController / scopeRun,
      unit: 'x faster',
      limit: 10,
      ok: abortController / scopeRun >= 10,
    },
    {
      target: 'withTimeout <= 1.5x setTimeout + clearTimeout + try/finally',
      value: withTimeout / setTimeoutAnchor,
      unit: 'x',
      limit: 1.5,
      ok: withTimeout / setTimeoutAnchor <= 1.5,
    },
  ],
});
