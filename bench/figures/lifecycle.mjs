// Scope lifecycle against the anchors: bare try/finally, AbortController, timers, AbortSignal.any,
// Effection and p-timeout. SPEC §9: run() <= 2x bare; >= 10x faster than AbortController + signal +
// listener; withTimeout <= 1.5x setTimeout + clearTimeout + try/finally.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cancelable, CancelationToken } from 'cancelable-ts';
import { run as effectionRun } from 'effection';
import pTimeout from 'p-timeout';
import { quick, report, timeInterleaved } from '../lib.mjs';

const body = async () => 1;
const longMs = 60_000;
const token = new CancelationToken();
const longLived = new AbortController();

// AsyncLocalStorage's promise hooks are process-wide once a scope has run: enable them before the
// anchors too, so that every row pays the same per-promise cost (as in an application using us).
await new Cancelable().run(body);

const cases = {
  'bare async try/finally (anchor)': async () => {
    try {
      return await body();
    } finally {
      // nothing
    }
  },
  'new AbortController() + .signal + one listener (anchor)': async () => {
    const controller = new AbortController();
    const signal = controller.signal;
    const listener = () => {};
    signal.addEventListener('abort', listener);
    try {
      return await body();
    } finally {
      signal.removeEventListener('abort', listener);
    }
  },
  'setTimeout + clearTimeout + try/finally (anchor)': async () => {
    const timer = setTimeout(() => {}, longMs);
    try {
      return await body();
    } finally {
      clearTimeout(timer);
    }
  },
  'AbortSignal.timeout + one listener (anchor)': async () => {
    const signal = AbortSignal.timeout(longMs);
    const listener = () => {};
    signal.addEventListener('abort', listener);
    try {
      return await body();
    } finally {
      signal.removeEventListener('abort', listener);
    }
  },
  'AbortSignal.any([long-lived, own]) (anchor)': async () => {
    const own = new AbortController();
    const signal = AbortSignal.any([longLived.signal, own.signal]);
    const listener = () => {};
    signal.addEventListener('abort', listener);
    try {
      return await body();
    } finally {
      signal.removeEventListener('abort', listener);
    }
  },
  'effection run() (anchor)': () =>
    // eslint-disable-next-line require-yield -- the smallest Effection operation, as the anchor
    effectionRun(function* () {
      return 1;
    }),
  'p-timeout (anchor)': () => pTimeout(body(), { milliseconds: longMs }),
  'Cancelable.run(), never cancelled': () => new Cancelable().run(body),
  'Cancelable.withTimeout(60s).run()': () => Cancelable.withTimeout(longMs).run(body),
  'Cancelable.combine([timeout, token]).run()': () => Cancelable.combine([Cancelable.withTimeout(longMs), token]).run(body),
  'Cancelable.run() reading scope.signal': () => new Cancelable().run(async (scope) => scope.signal),
};

// Each case runs in a fresh process of its own (best of several rounds there): in one shared process
// the JIT's feedback from one case (megamorphic call sites, GC pressure) would tax the next.
const caseArg = process.argv.find((arg) => arg.startsWith('--case='));
const childCase = '__child-of-long-lived-parent';
if (caseArg !== undefined) {
  const name = caseArg.slice('--case='.length);
  let stats;
  if (name === childCase) {
    const parent = new Cancelable({ name: 'long-lived parent' });
    await parent.run(async () => {
      stats = (await timeInterleaved({ child: () => new Cancelable().run(body) })).get('child');
    });
  } else {
    stats = (await timeInterleaved({ [name]: cases[name] })).get(name);
  }
  process.stdout.write(JSON.stringify(stats));
  process.exit(0);
}
const self = fileURLToPath(import.meta.url);
const measureInChild = (name) =>
  JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', self, `--case=${name}`, ...(quick ? ['--quick'] : [])], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    }),
  );
// Best of three processes per case: a transient load spike on a shared machine hits one process, not
// all three.
const bestOf = (name) => {
  let best;
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const stats = measureInChild(name);
    if (best === undefined || stats.median < best.median) best = stats;
  }
  return best;
};
const best = new Map();
for (const name of Object.keys(cases)) best.set(name, bestOf(name));
best.set('Cancelable.run() as child of a long-lived parent', bestOf(childCase));

const rows = [...best].map(([name, stats]) => ({ name, unit: 'ns/op', ...stats }));
const median = (name) => best.get(name).median;
const bare = median('bare async try/finally (anchor)');
const abortController = median('new AbortController() + .signal + one listener (anchor)');
const setTimeoutAnchor = median('setTimeout + clearTimeout + try/finally (anchor)');
const scopeRun = median('Cancelable.run(), never cancelled');
const withTimeout = median('Cancelable.withTimeout(60s).run()');

report({
  figure: 'Scope lifecycle',
  rows,
  targets: [
    { target: 'run() never cancelled <= 2x bare async try/finally', value: scopeRun / bare, unit: 'x', limit: 2, ok: scopeRun / bare <= 2 },
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
