// The peers beside this library, in the same process (SPEC §9, issue 15): Effection 3, Effect 3,
// p-timeout 7 and abort-controller-x 0.5, each doing what its own idiom offers for (1) a scope around one
// async body that is never cancelled, (2) the same with a 60 s timeout, and (3) cancelling a parent
// with 10,000 and 100,000 children until every child has stopped. Lifecycle rows are paired like the
// lifecycle figure (same body, one compiled loop per variant, interleaved, GC before each batch).
// Each row says how many times slower (> 1) or faster (< 1) the peer is than this library.
import { setMaxListeners } from 'node:events';
import { Cancelable } from 'cancelable-ts';
import { delay, spawn as axSpawn } from 'abort-controller-x';
import { Effect, Fiber } from 'effect';
import { call, race, run as effectionRun, sleep as effectionSleep, spawn as effectionSpawn, suspend } from 'effection';
import pTimeout from 'p-timeout';
import { pairedRun } from '../pairs.mjs';
import { gc, now, quick, report } from '../lib.mjs';

const body = async () => 1;
const longMs = 60_000;
const hourMs = 3_600_000;
await new Cancelable().run(body); // the library's promise hooks on before anything is measured

const rows = [];

// 1 and 2. Lifecycle.
const rootController = new AbortController();
setMaxListeners(0, rootController.signal); // the peers share one signal on purpose: no leak warning
const lifecycle = {
  'cancelable: new Cancelable().run(body)': { fn: () => new Cancelable().run(body) },
  'effection: run(() => call(body))': { fn: () => effectionRun(() => call(body)) },
  'effect: Effect.runPromise(Effect.promise(body))': { fn: () => Effect.runPromise(Effect.promise(body)) },
  'abort-controller-x: spawn(signal, body)': { fn: () => axSpawn(rootController.signal, body) },
  'cancelable: Cancelable.withTimeout(60s).run(body)': { fn: () => Cancelable.withTimeout(longMs).run(body) },
  'p-timeout: pTimeout(body(), 60s)': { fn: () => pTimeout(body(), { milliseconds: longMs }) },
  'effect: Effect.timeout(Effect.promise(body), 60s)': {
    fn: () => Effect.runPromise(Effect.timeout(Effect.promise(body), longMs)),
  },
  'effection: race([call(body), sleep(60s)])': {
    fn: () => effectionRun(() => race([call(body), effectionSleep(longMs)])),
  },
};
// Fewer calls per batch than the lifecycle figure: some peers take milliseconds per call.
const paired = await pairedRun(lifecycle, { n: quick ? 100 : 500, reps: quick ? 2 : 9 });
const plainRef = 'cancelable: new Cancelable().run(body)';
const timeoutRef = 'cancelable: Cancelable.withTimeout(60s).run(body)';
for (const name of Object.keys(lifecycle)) {
  const isTimeout = /timeout|race|60s/i.test(name);
  const ref = isTimeout ? timeoutRef : plainRef;
  const ratio = name === ref ? 1 : paired.ratio(name, ref);
  rows.push({
    name: `lifecycle: ${name}`,
    unit: 'ns/op',
    median: paired.nsPerOp(name),
    min: paired.min(name),
    max: paired.max(name),
    note: name === ref ? 'reference' : `${ratio.toFixed(2)}x the time of cancelable`,
  });
}

// 3. Fan-out: a parent with n children, each waiting an hour; cancel the parent; time until every child
// has stopped (its promise settled / its task halted).
async function fanOut(n) {
  const results = {};
  await gc();
  {
    const parent = new Cancelable({ name: 'parent' });
    let settled;
    const running = parent
      .run(async () => {
        const children = [];
        for (let i = 0; i < n; i++) children.push(new Cancelable().run((child) => child.sleep(hourMs)));
        settled = Promise.allSettled(children);
        await parent.waitForCancel();
      })
      .catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const start = now();
    parent.cancel('stop');
    await settled;
    results.cancelable = (now() - start) / 1e6;
    await running;
  }
  await gc();
  {
    let started;
    const ready = new Promise((resolve) => (started = resolve));
    const task = effectionRun(function* () {
      for (let i = 0; i < n; i++) yield* effectionSpawn(() => effectionSleep(hourMs));
      started();
      yield* suspend();
    });
    await ready;
    const start = now();
    await task.halt();
    results.effection = (now() - start) / 1e6;
  }
  await gc();
  {
    const children = Array.from({ length: n }, () => Effect.sleep(hourMs));
    const fiber = Effect.runFork(Effect.all(children, { concurrency: 'unbounded', discard: true }));
    await new Promise((resolve) => setTimeout(resolve, 20)); // let every child fiber start
    const start = now();
    await Effect.runPromise(Fiber.interrupt(fiber));
    results.effect = (now() - start) / 1e6;
  }
  await gc();
  {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const children = [];
    for (let i = 0; i < n; i++) children.push(delay(controller.signal, hourMs));
    const settled = Promise.allSettled(children);
    const start = now();
    controller.abort();
    await settled;
    results['abort-controller-x'] = (now() - start) / 1e6;
  }
  await gc();
  {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const never = new Promise(() => {});
    const children = [];
    for (let i = 0; i < n; i++) children.push(pTimeout(never, { milliseconds: hourMs, signal: controller.signal }));
    const settled = Promise.allSettled(children);
    const start = now();
    controller.abort();
    await settled;
    results['p-timeout'] = (now() - start) / 1e6;
  }
  return results;
}

// `--fanout=10000,100000` and `--rounds=1` by default: Effect and Effection take seconds at 100,000,
// and three rounds went past the 10-minute limit of `npm run bench` (pass `--rounds=3` to run them).
const fanOutArg = process.argv.find((arg) => arg.startsWith('--fanout='));
const roundsArg = process.argv.find((arg) => arg.startsWith('--rounds='));
const fanOutSizes = fanOutArg ? fanOutArg.slice(9).split(',').map(Number) : quick ? [1_000] : [10_000, 100_000];
const fanOutRounds = roundsArg ? Number(roundsArg.slice(9)) : 1;
for (const n of fanOutSizes) {
  const rounds = [];
  for (let round = 0; round < fanOutRounds; round++) rounds.push(await fanOut(n));
  for (const peer of Object.keys(rounds[0])) {
    const values = rounds.map((r) => r[peer]).sort((a, b) => a - b);
    const ours = rounds.map((r) => r.cancelable).sort((a, b) => a - b);
    const median = values[Math.floor(values.length / 2)];
    const ourMedian = ours[Math.floor(ours.length / 2)];
    rows.push({
      name: `cancel a parent of ${n.toLocaleString('en')} children: ${peer}`,
      unit: 'ms',
      median,
      min: values[0],
      max: values.at(-1),
      note: peer === 'cancelable' ? 'reference' : `${(median / ourMedian).toFixed(2)}x the time of cancelable`,
    });
  }
}

report({ figure: 'Peers, same process (Effection, Effect, p-timeout, abort-controller-x)', rows, targets: [] });
