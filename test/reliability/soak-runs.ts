/**
 * Leak and soak workloads, shared by test/reliability/soak.test.ts (modest counts, in CI) and
 * scripts/soak.ts (the full counts). Each workload runs with real timers, real threads, real child
 * processes and real signals, then checks that the heap, handles, listeners, threads and processes
 * are back to their baseline, and returns its figures.
 *
 * Needs `--expose-gc` (vitest.config.ts sets it; scripts/soak.ts is run with it).
 */
import { fileURLToPath } from 'node:url';
import {
  Cancelable,
  CancelationToken,
  SignalSource,
  cancelableStream,
  isCancelation,
} from '../../src/index.js';
import {
  TSX_ENTRY,
  describeLeaks,
  findLeaks,
  forceGC,
  realSleep,
  settle,
  snapshotResources,
  type ResourceSnapshot,
} from '../harness/leaks.js';
import { inScope } from '../harness/in-scope.js';

/** How many of each thing a soak run does. */
export interface SoakCounts {
  /** Scope cycles (start, maybe cancel, end) under one long-lived parent. */
  readonly cycles: number;
  /** Long-lived parents, each running `children` children over its life. */
  readonly parents: number;
  readonly children: number;
  /** Streams whose pending next() is cancelled. */
  readonly streams: number;
  /** Worker threads started and cancelled. */
  readonly workers: number;
  /** Child processes started and cancelled (half spawn, half fork). */
  readonly processes: number;
  /** Signal scopes opened and closed (half sequentially, half all at once). */
  readonly signalScopes: number;
}

export const FULL_COUNTS: SoakCounts = {
  cycles: 1_000_000,
  parents: 10,
  children: 100_000,
  streams: 100_000,
  workers: 100,
  processes: 100,
  signalScopes: 100_000,
};

export const CI_COUNTS: SoakCounts = {
  cycles: 20_000,
  parents: 2,
  children: 5_000,
  streams: 2_000,
  workers: 4,
  processes: 4,
  signalScopes: 2_000,
};

/** The figures of one workload. */
export interface SoakResult {
  readonly name: string;
  /** What was done, e.g. `1000000 scopes`. */
  readonly done: string;
  readonly count: number;
  readonly ms: number;
  /** Heap growth after a forced GC, in bytes (negative: it shrank). */
  readonly heapDelta: number;
  /** Bytes retained per unit (heapDelta / count). */
  readonly bytesPerUnit: number;
  /** Everything above the baseline afterwards (must be empty). */
  readonly leaks: string;
  /** Extra observations (e.g. peak listener count). */
  readonly notes: string;
}

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));

async function heapAfterGC(): Promise<number> {
  await forceGC(3);
  return process.memoryUsage().heapUsed;
}

/** Waits (real time, up to `ms`) until nothing is above the baseline; returns what is left. */
async function leftOver(baseline: ResourceSnapshot, ms = 5_000): Promise<string> {
  const deadline = Date.now() + ms;
  await settle(5);
  let leaks = findLeaks(baseline);
  while (leaks.length > 0 && Date.now() < deadline) {
    await realSleep(20);
    await settle(2);
    leaks = findLeaks(baseline);
  }
  return describeLeaks(leaks);
}

async function measure(
  name: string,
  count: number,
  unit: string,
  work: () => Promise<string | void>,
  options: { warmup?: () => Promise<void> } = {},
): Promise<SoakResult> {
  if (options.warmup !== undefined) await options.warmup();
  const baseline = snapshotResources();
  const before = await heapAfterGC();
  const start = Date.now();
  const notes = (await work()) ?? '';
  const ms = Date.now() - start;
  const leaks = await leftOver(baseline);
  const heapDelta = (await heapAfterGC()) - before;
  return { name, done: `${count} ${unit}`, count, ms, heapDelta, bytesPerUnit: heapDelta / Math.max(1, count), leaks, notes };
}

const swallow = (): undefined => undefined;

// ------------------------------------------------------------------------------------ workloads

/** One scope cycle: a mix of plain, timed, cancelled, token and signal-reading scopes. */
async function cycle(i: number, token: CancelationToken): Promise<void> {
  const scope =
    i % 4 === 0 ? Cancelable.withTimeout(3_600_000) : i % 4 === 1 ? Cancelable.withToken(token) : new Cancelable();
  await scope
    .run(async (s) => {
      if (i % 3 === 0) void s.signal;
      if (i % 5 === 0) {
        s.cancel('cancelled in the soak');
        await s.sleep(1);
      }
      await Promise.resolve();
    })
    .catch(swallow);
}

/**
 * `count` scope cycles under one long-lived parent. `retain` (tests of the harness itself) is called
 * with each cycle's index, e.g. to leak something on purpose.
 */
export async function scopeCycles(count: number, retain?: (i: number) => void): Promise<SoakResult> {
  const token = new CancelationToken(); // long-lived, never cancelled: must not accumulate listeners
  const parent = new Cancelable({ name: 'soak-parent' });
  let peakListeners = 0;
  const result = await measure(
    'scope cycles',
    count,
    'scopes',
    async () => {
      await parent.run(async () => {
        const batch = 1_000;
        for (let start = 0; start < count; start += batch) {
          const running: Promise<void>[] = [];
          for (let i = start; i < Math.min(count, start + batch); i++) {
            running.push(cycle(i, token));
            retain?.(i);
          }
          peakListeners = Math.max(peakListeners, token.listenerCount);
          await Promise.all(running);
        }
      });
      if (token.listenerCount !== 0) return `token listeners left: ${token.listenerCount}`;
      return `peak token listeners ${peakListeners} (one batch)`;
    },
    { warmup: () => new Cancelable().run(async () => { for (let i = 0; i < 2_000; i++) await cycle(i, token); }) },
  );
  return result;
}

export async function longLivedParents(parents: number, children: number): Promise<SoakResult> {
  const refs: WeakRef<Cancelable>[] = [];
  const parentRefs: Cancelable[] = [];
  const result = await measure('long-lived parents', parents * children, 'children', async () => {
    await Promise.all(
      Array.from({ length: parents }, async (_, p) => {
        const parent = Cancelable.withTimeout(3_600_000, { name: `long-lived-${p}` });
        parentRefs.push(parent);
        void parent.signal; // a real AbortSignal on the parent, as a server's would have
        await parent.run(async () => {
          for (let i = 0; i < children; i++) {
            const child = i % 2 === 0 ? new Cancelable() : Cancelable.withTimeout(60_000);
            if (i % 10_000 === 0) refs.push(new WeakRef(child));
            await child
              .run(async (c) => {
                if (i % 7 === 0) c.cancel();
                if (i % 100 === 0) await c.sleep(0).catch(swallow); // a real timer now and then
                else await Promise.resolve();
              })
              .catch(swallow);
          }
        });
      }),
    );
    await forceGC(3);
    const alive = refs.filter((ref) => ref.deref() !== undefined).length;
    return `${alive}/${refs.length} sampled children still reachable`;
  });
  const unreleased = parentRefs.filter((p) => p.status !== 'completed').length;
  return unreleased === 0 ? result : { ...result, leaks: `${result.leaks}\n  ${unreleased} parents did not complete` };
}

async function* stuck(): AsyncGenerator<number> {
  yield 0;
  await new Promise<never>(() => {}); // never yields again
}

export async function streamChurn(count: number): Promise<SoakResult> {
  const parent = new Cancelable({ name: 'stream-parent' });
  let wrong = 0;
  const churn = async (n: number): Promise<void> => {
    const batch = 200;
    for (let start = 0; start < n; start += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, n - start) }, async (_, k) => {
          const controller = new AbortController();
          const scope = Cancelable.withAbortSignal(controller.signal, { graceMs: 5 });
          await scope
            .run(async (s) => {
              const iterator = cancelableStream(stuck(), s, { bufferSize: k % 3 });
              for await (const _ of iterator) setImmediate(() => controller.abort()); // cancelled while next() waits
            })
            .catch((error: unknown) => {
              if (!isCancelation(error)) wrong++;
            });
        }),
      );
    }
  };
  return measure(
    'stream cancellation churn',
    count,
    'streams',
    async () => {
      await parent.run(() => churn(count));
      return wrong === 0 ? '' : `${wrong} streams ended with a non-cancellation error`;
    },
    // The code of every path (three buffer sizes, cancellation while waiting) compiled before the baseline.
    { warmup: () => new Cancelable().run(() => churn(400)) },
  );
}

export async function workersStartedAndCancelled(count: number, concurrency = 10): Promise<SoakResult> {
  let cancelled = 0;
  return measure('workers started and cancelled', count, 'workers', async () => {
    for (let start = 0; start < count; start += concurrency) {
      const n = Math.min(concurrency, count - start);
      const started = new Int32Array(new SharedArrayBuffer(4));
      // graceMs Infinity: the batch's body waits for every run to report how it ended.
      const scope = new Cancelable({ name: 'worker-batch', graceMs: Infinity });
      const run = scope.run(async (s) => {
        const runs = Array.from({ length: n }, () =>
          inScope(s).runInWorker(TSX_ENTRY, { argv: [fixture('worker-idle')], workerData: { started }, graceMs: 2_000 }).catch((e: unknown) => e),
        );
        const deadline = Date.now() + 60_000;
        while (Atomics.load(started, 0) < n && Date.now() < deadline) await realSleep(10);
        s.cancel('soak: stop the workers');
        return Promise.all(runs);
      });
      const results = await run.catch((e: unknown) => [e]);
      cancelled += results.filter((r) => isCancelation(r)).length;

    }
    return `${cancelled}/${count} ended with the caller's cancellation`;
  });
}

export async function processesStartedAndCancelled(count: number, concurrency = 10): Promise<SoakResult> {
  let cancelled = 0;
  return measure('child processes started and cancelled', count, 'processes', async () => {
    for (let start = 0; start < count; start += concurrency) {
      const n = Math.min(concurrency, count - start);
      const scope = new Cancelable({ name: 'process-batch', graceMs: Infinity });
      const results = await scope
        .run(async (s) => {
          const ready: Promise<unknown>[] = [];
          const runs = Array.from({ length: n }, (_, k) => {
            if ((start + k) % 2 === 0) {
              const child = inScope(s).spawn(process.execPath, ['-e', "setInterval(() => {}, 1000); console.log('ready')"], { graceMs: 2_000 });
              ready.push(new Promise((resolve) => child.child?.stdout?.once('data', resolve)));
              return child.catch((e: unknown) => e);
            }
            const fork = inScope(s).fork(fixture('fork-idle'), [], { execArgv: ['--import', 'tsx'], graceMs: 2_000 });
            ready.push(realSleep(300)); // give the child time to start; a cancel before it listens is repeated anyway
            return fork.catch((e: unknown) => e);
          });
          await Promise.all(ready);
          s.cancel('soak: stop the children');
          return Promise.all(runs);
        })
        .catch((e: unknown) => [e]);
      cancelled += results.filter((r) => isCancelation(r)).length;
    }
    return `${cancelled}/${count} ended with the caller's cancellation`;
  });
}

export async function signalScopes(count: number): Promise<SoakResult> {
  const baselineListeners = process.listenerCount('SIGUSR2');
  let peak = 0;
  let delivered = 0;
  return measure('signal scopes opened and closed', count, 'scopes', async () => {
    const half = Math.floor(count / 2);
    const source = new SignalSource('SIGUSR2'); // one instance, many activations
    for (let i = 0; i < half; i++) {
      await new Cancelable({ sources: [i % 2 === 0 ? source : new SignalSource('SIGUSR2', 'SIGHUP')] }).run(() => undefined);
    }
    // All at once, then one real signal cancels every one of them.
    const scopes = Array.from({ length: count - half }, () => new Cancelable({ sources: [source], graceMs: 1_000 }));
    const runs = scopes.map((scope) => scope.run((s) => s.sleep(60_000)).catch((e: unknown) => e));
    await settle(2);
    peak = Math.max(peak, process.listenerCount('SIGUSR2'));
    if (scopes.length > 0) process.kill(process.pid, 'SIGUSR2');
    const results = await Promise.all(runs);
    delivered = results.filter((r) => isCancelation(r)).length;
    const left = process.listenerCount('SIGUSR2') - baselineListeners;
    return `peak SIGUSR2 listeners ${peak - baselineListeners} for ${scopes.length} concurrent scopes; one signal cancelled ${delivered}; ${left} left`;
  });
}

/** Runs every workload with `counts`, in order; `log` gets each result as it comes. */
export async function runSoak(counts: SoakCounts, log: (result: SoakResult) => void = () => undefined): Promise<SoakResult[]> {
  const results: SoakResult[] = [];
  const add = (result: SoakResult): void => {
    results.push(result);
    log(result);
  };
  add(await scopeCycles(counts.cycles));
  add(await longLivedParents(counts.parents, counts.children));
  add(await streamChurn(counts.streams));
  add(await signalScopes(counts.signalScopes));
  add(await workersStartedAndCancelled(counts.workers));
  add(await processesStartedAndCancelled(counts.processes));
  return results;
}
