// Scope lifecycle against its anchors, measured fairly (SPEC §9, docs/benchmarks.md "Method"): the
// same body in anchor and scope, one compiled loop per variant, interleaved, GC before each batch,
// ratios taken within each repetition. Both process states: "clean" (every module loaded statically)
// and "app-like" (after one dynamic import(), which puts V8's promise hooks on their slow path), each
// in its own process. Both Node timer modes for timeouts: with and without another timer of the same
// duration pending.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cancelable } from 'cancelable-ts';
import { anchors, structuralFloor } from '../baselines.mjs';
import { pairedRun } from '../pairs.mjs';
import { quick, report } from '../lib.mjs';

const stateArg = process.argv.find((arg) => arg.startsWith('--state='));

if (stateArg === undefined) {
  // The parent: one child process per state, then one report.
  const self = fileURLToPath(import.meta.url);
  const measure = (state) =>
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', self, `--state=${state}`, ...(quick ? ['--quick'] : [])], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      }),
    );
  const states = { clean: measure('clean'), 'app-like': measure('app') };
  const rows = [];
  const targets = [];
  for (const [state, result] of Object.entries(states)) {
    for (const row of result.rows) rows.push({ ...row, name: `[${state}] ${row.name}` });
    const r = result.ratios;
    targets.push(
      { target: `[${state}] run() never cancelled <= 2x bare async try/finally`, value: r.run, unit: 'x', limit: 2, ok: r.run <= 2 },
      {
        target: `[${state}] run() >= 7x faster than AbortController + signal + listener`,
        value: r.abortController,
        unit: 'x faster',
        limit: 7,
        ok: r.abortController >= 7,
      },
      {
        target: `[${state}] withTimeout <= 1.5x setTimeout + clearTimeout + try/finally, no other timer pending`,
        value: r.timeoutSlow,
        unit: 'x',
        limit: 1.5,
        ok: r.timeoutSlow <= 1.5,
      },
      {
        target: `[${state}] withTimeout <= 1.5x setTimeout + clearTimeout + try/finally, another timer pending`,
        value: r.timeoutFast,
        unit: 'x',
        limit: 1.5,
        ok: r.timeoutFast <= 1.5,
      },
    );
  }
  // The structural floor (bench/baselines.mjs), in the same processes: what any scope that keeps
  // SPEC §2-§3 costs on this Node, and how far above it the library is.
  for (const [state, result] of Object.entries(states)) {
    const r = result.ratios;
    rows.push(
      { name: `[${state}] structural floor of a scope / bare async try/finally`, unit: 'x', median: r.floorRun },
      { name: `[${state}] Cancelable.run() / structural floor`, unit: 'x', median: r.runOverFloor },
      { name: `[${state}] AbortController + signal + listener / structural floor`, unit: 'x', median: r.floorAbortController },
      { name: `[${state}] floor with a timeout entry / setTimeout + clearTimeout + try/finally (timer pending)`, unit: 'x', median: r.floorTimeout },
      { name: `[${state}] withTimeout(60s).run() / floor with a timeout entry (timer pending)`, unit: 'x', median: r.timeoutOverFloor },
    );
  }
  report({ figure: 'Scope lifecycle (same process, paired)', rows, targets });
} else {
  if (stateArg === '--state=app') await import('node:path'); // one dynamic import: the app-like state
  const body = async () => 1;
  const longMs = 60_000;
  // The library's own AsyncLocalStorage turns the promise hooks on: before any anchor runs.
  await new Cancelable().run(body);
  let sentinel;
  const otherTimerPending = {
    before: () => {
      sentinel = setTimeout(() => {}, longMs);
    },
    after: () => clearTimeout(sentinel),
  };
  const floor = structuralFloor(body);
  const anchor = anchors(body, longMs);
  const timeoutRun = () => Cancelable.withTimeout(longMs).run(body);
  const variants = {
    'bare async try/finally (anchor)': { fn: anchor.tryFinally },
    'Cancelable.run(), never cancelled': { fn: () => new Cancelable().run(body) },
    'structural floor of a scope (floor)': { fn: floor.run },
    'structural floor + a shared-queue timeout entry (floor)': { fn: floor.runWithTimeout },
    'new AbortController() + .signal + one listener (anchor)': { fn: anchor.abortController },
    'setTimeout + clearTimeout + try/finally, no other timer (anchor)': { fn: anchor.setTimeout },
    'Cancelable.withTimeout(60s).run(), no other timer': { fn: timeoutRun },
    'setTimeout + clearTimeout + try/finally, another timer pending (anchor)': { ...otherTimerPending, fn: anchor.setTimeout },
    'Cancelable.withTimeout(60s).run(), another timer pending': { ...otherTimerPending, fn: timeoutRun },
  };
  const result = await pairedRun(variants);
  const rows = Object.keys(variants).map((name) => ({
    name,
    unit: 'ns/op',
    median: result.nsPerOp(name),
    min: result.min(name),
    max: result.max(name),
  }));
  const ratios = {
    run: result.ratio('Cancelable.run(), never cancelled', 'bare async try/finally (anchor)'),
    abortController: result.ratio('new AbortController() + .signal + one listener (anchor)', 'Cancelable.run(), never cancelled'),
    timeoutSlow: result.ratio('Cancelable.withTimeout(60s).run(), no other timer', 'setTimeout + clearTimeout + try/finally, no other timer (anchor)'),
    floorRun: result.ratio('structural floor of a scope (floor)', 'bare async try/finally (anchor)'),
    runOverFloor: result.ratio('Cancelable.run(), never cancelled', 'structural floor of a scope (floor)'),
    floorAbortController: result.ratio('new AbortController() + .signal + one listener (anchor)', 'structural floor of a scope (floor)'),
    floorTimeout: result.ratio(
      'structural floor + a shared-queue timeout entry (floor)',
      'setTimeout + clearTimeout + try/finally, another timer pending (anchor)',
    ),
    timeoutOverFloor: result.ratio('Cancelable.withTimeout(60s).run(), another timer pending', 'structural floor + a shared-queue timeout entry (floor)'),
    timeoutFast: result.ratio(
      'Cancelable.withTimeout(60s).run(), another timer pending',
      'setTimeout + clearTimeout + try/finally, another timer pending (anchor)',
    ),
  };
  process.stdout.write(JSON.stringify({ rows, ratios }));
}
