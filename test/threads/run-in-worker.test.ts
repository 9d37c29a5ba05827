/**
 * SPEC §7 (threads): runInWorker(file, options) with real worker threads, and workerMain().
 */
import { describe, expect, it } from 'vitest';
import {
  Cancelable,
  CancelationError,
  ManualCancelation,
  ParentCancelation,
  TimeoutCancelation,
  isCancelation,
} from '../../src/index.js';
import { WorkerError } from '../../src/threads/index.js';
import { findLeaks, snapshotResources } from '../harness/leaks.js';
import { rejection } from '../core/helpers.js';
import { fixture, reportPort, runFixture, sharedInts, startWorker, TSX_ENTRY, until } from './helpers.js';
import { runInWorker } from '../../src/threads/index.js';
import { inScope } from '../harness/in-scope.js';

describe('runInWorker: results and errors', () => {
  it("resolves with the worker's result; workerData, the file and a scope reach the worker", async () => {
    const result = await new Cancelable({ name: 'caller' }).run((scope) =>
      runFixture<{ echo: unknown; globalWorkerData: unknown; threadId: number; scopeName: string; file: string }>(scope, 'echo', {
        workerData: { n: 1, list: [1, 2], when: new Date(5) },
      }),
    );
    expect(result.echo).toEqual({ n: 1, list: [1, 2], when: new Date(5) });
    // The worker's own `workerData` (node:worker_threads) is the caller's data, not an envelope.
    expect(result.globalWorkerData).toEqual({ n: 1, list: [1, 2], when: new Date(5) });
    expect(result.threadId).toBeGreaterThan(0);
    expect(result.scopeName).toBe('worker');
    expect(result.file).toBe(TSX_ENTRY.pathname);
  });

  it('transfers what transferList names', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const result = await new Cancelable().run((scope) =>
      runFixture<{ echo: { bytes: Uint8Array } }>(scope, 'echo', {
        workerData: { bytes },
        transferList: [bytes.buffer],
      }),
    );
    expect(bytes.byteLength).toBe(0); // moved, not copied
    expect([...result.echo.bytes]).toEqual([1, 2, 3]);
  });

  it("rethrows the worker's error: same class, message, code, cause chain and the worker's stack", async () => {
    const error = (await rejection(new Cancelable().run((scope) => runFixture(scope, 'throws')))) as TypeError & {
      code: string;
      cause: Error;
    };
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('bad input in the worker');
    expect(error.code).toBe('E_WORKER');
    expect(error.stack).toMatch(/deepInTheWorker/);
    expect(error.stack).toMatch(/throws\.ts/);
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.cause.message).toBe('root cause');
  });

  it('a worker failing with a non-Error value rejects with that value', async () => {
    const error = await rejection(new Cancelable().run((scope) => runFixture(scope, 'throws-value')));
    expect(error).toEqual({ code: 42, detail: 'plain object' });
  });

  it('a CancelationError from the worker itself (its own timeout) keeps its class and reason', async () => {
    const scope = new Cancelable({ name: 'caller' });
    const error = await rejection(scope.run((s) => runFixture(s, 'throws-cancel')));
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(isCancelation(error)).toBe(true);
    expect(scope.status).toBe('cancelled'); // SPEC §3: a CancelationError got elsewhere cancels, with its reason
    expect(scope.context.cancelReason).toBe('timeout');
  });

  it('a result that cannot be cloned fails the run clearly', async () => {
    const error = await rejection(new Cancelable().run((scope) => runFixture(scope, 'unclonable')));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/result could not be sent to the calling thread/);
  });

  it('a worker that crashes rejects with a WorkerError naming the file, the cause attached', async () => {
    const error = (await rejection(new Cancelable().run((scope) => runFixture(scope, 'crash')))) as WorkerError;
    expect(error).toBeInstanceOf(WorkerError);
    expect(error.message).toMatch(/^Worker '.*tsx-entry\.mjs' crashed \(exit code 1\): boom outside the body$/);
    expect(error.file).toBe(TSX_ENTRY.pathname);
    expect(error.exitCode).toBe(1);
    expect((error.cause as Error).message).toBe('boom outside the body');
  });

  it('a worker that exits early, or never calls workerMain, rejects with a WorkerError and its exit code', async () => {
    const early = (await rejection(new Cancelable().run((scope) => runFixture(scope, 'exit-early')))) as WorkerError;
    expect(early).toBeInstanceOf(WorkerError);
    expect(early.exitCode).toBe(3);
    expect(early.message).toMatch(/exited with code 3 before reporting a result/);
    const none = (await rejection(new Cancelable().run((scope) => runFixture(scope, 'no-main')))) as WorkerError;
    expect(none.exitCode).toBe(0);
    expect(none.message).toMatch(/exited with code 0 before reporting a result \(does it call workerMain\(\)\?\)/);
  });

  it('a missing file rejects with a WorkerError', async () => {
    const error = (await rejection(
      new Cancelable().run((scope) => inScope(scope).runInWorker('/nonexistent/cancelable-worker.mjs')),
    )) as WorkerError;
    expect(error).toBeInstanceOf(WorkerError);
    expect(error.message).toMatch(/nonexistent\/cancelable-worker\.mjs/);
  });

  it('resourceLimits reach the worker: exceeding them fails the run with a WorkerError', async () => {
    const error = (await rejection(
      new Cancelable().run((scope) =>
        runFixture(scope, 'oom', { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } }),
      ),
    )) as WorkerError;
    expect(error).toBeInstanceOf(WorkerError);
    expect(error.message).toMatch(/crashed/);
    expect((error.cause as { code?: string }).code).toBe('ERR_WORKER_OUT_OF_MEMORY');
  });

  it('workerMain() outside a runInWorker worker throws a clear TypeError', async () => {
    const worker = startWorker('not-a-token', { something: 'else' });
    expect(await worker.next()).toEqual({
      threw: true,
      name: 'TypeError',
      message: expect.stringMatching(/workerMain\(\) must run in a worker started by runInWorker\(\)/),
    });
    await worker.exited;
  });
});

describe('runInWorker: cancellation', () => {
  it("cancels the worker's scope with the caller's reason and message; the caller rejects at once", async () => {
    // Whether the worker is still booting or already waiting when the timeout fires, it gets the
    // cancel (a long grace: it is not terminated while it boots).
    const { port, report } = reportPort();
    const scope = Cancelable.withTimeout(200, { name: 'caller', graceMs: 15_000 });
    const error = await rejection(scope.run((s) => runFixture(s, 'park', { workerData: { report: port }, transferList: [port] })));
    expect(error).toBe(scope.cancelError);
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(await report).toMatchObject({
      cancelled: true,
      name: 'TimeoutCancelation',
      reason: 'timeout',
      message: 'Operation timed out after 200ms',
      truncated: false,
    });
    expect(snapshotResources().workers).toBe(0); // run() settled once the worker had exited
  });

  it('rejects promptly on cancellation; the worker is terminated after its grace, in the background', async () => {
    const started = sharedInts(2);
    const scope = new Cancelable({ name: 'caller', graceMs: 5_000 });
    let cancelledAt = 0;
    let rejectedAt = 0;
    const run = scope.run(async (s) => {
      const worker = runFixture(s, 'spin-forever', { workerData: { started }, graceMs: 400 });
      const rejected = worker.catch((error: unknown) => {
        rejectedAt = Date.now();
        throw error;
      });
      await until(() => Atomics.load(started, 0) === 1, 15_000, 'the worker');
      cancelledAt = Date.now();
      s.cancel('stop');
      return rejected;
    });
    expect(await rejection(run)).toBe(scope.cancelError);
    expect(rejectedAt - cancelledAt).toBeLessThan(300); // long before the 400 ms termination
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(390); // run() settled once the worker was gone
    expect(Date.now() - cancelledAt).toBeLessThan(400 + 2_000); // generous, but termination 50x late fails
    expect(snapshotResources().workers).toBe(0);
  });

  it("rejects with the caller's own cancellation error when the worker lets the cancellation through", async () => {
    const counter = sharedInts(1);
    const scope = new Cancelable({ name: 'caller' });
    const run = scope.run((s) => runFixture(s, 'park', { workerData: { counter, rethrow: true } }));
    await until(() => Atomics.load(counter, 0) === 1, 15_000, 'the worker');
    scope.cancel('stop the worker');
    const error = await rejection(run);
    expect(error).toBeInstanceOf(ManualCancelation);
    expect(error).toBe(scope.cancelError);
    expect((error as Error).message).toBe('stop the worker');
  });

  it('carries a long message truncated to 1 KiB', async () => {
    const counter = sharedInts(1);
    const { port, report } = reportPort();
    const scope = new Cancelable({ graceMs: 10_000 });
    const run = scope.run((s) => runFixture(s, 'park', { workerData: { counter, report: port }, transferList: [port] }));
    await until(() => Atomics.load(counter, 0) === 1, 15_000, 'the worker');
    scope.cancel('m'.repeat(5000));
    await rejection(run);
    const result = await report;
    expect(result.truncated).toBe(true);
    expect(result.message).toBe('m'.repeat(1024));
  });

  it('a worker in a tight synchronous loop sees the cancel through shared memory', async () => {
    const started = sharedInts(1);
    const { port, report } = reportPort();
    const scope = new Cancelable({ graceMs: 10_000 });
    const run = scope.run((s) => runFixture(s, 'spin', { workerData: { started, report: port }, transferList: [port] }));
    await until(() => Atomics.load(started, 0) === 1, 15_000, 'the worker');
    scope.cancel({ reason: 'condition', message: 'enough spinning' });
    await rejection(run);
    // The loop saw it without yielding; the worker's scope learned at its next event-loop turn.
    expect(await report).toEqual({
      spins: true,
      beforeYield: false,
      scopeCancelled: true,
      reason: 'condition',
      message: 'enough spinning',
    });
  });

  it('a worker that ignores cancellation is terminated graceMs later; the run rejects then, not before', async () => {
    const started = sharedInts(2);
    const scope = new Cancelable({ name: 'caller', graceMs: 5_000 });
    let cancelledAt = 0;
    const run = scope.run(async (s) => {
      const worker = runFixture(s, 'spin-forever', { workerData: { started }, graceMs: 150 });
      await until(() => Atomics.load(started, 0) === 1, 15_000, 'the worker');
      cancelledAt = Date.now();
      s.cancel('terminate it');
      return worker;
    });
    const error = await rejection(run);
    const elapsed = Date.now() - cancelledAt;
    expect(error).toBe(scope.cancelError);
    expect((error as Error).message).toBe('terminate it');
    expect(elapsed).toBeGreaterThanOrEqual(140); // not before graceMs
    expect(elapsed).toBeLessThan(150 + 2_000); // nor 50x after it (generous bound)
    // It really stopped: the counter it bumps in its loop no longer moves.
    const count = Atomics.load(started, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Atomics.load(started, 1)).toBe(count);
  });

  it("graceMs defaults to the scope's graceMs; 0 terminates at once", async () => {
    const started = sharedInts(2);
    const scope = new Cancelable({ graceMs: 0 });
    const run = scope.run(async (s) => {
      const worker = runFixture(s, 'spin-forever', { workerData: { started } });
      await until(() => Atomics.load(started, 0) === 1, 15_000, 'the worker');
      s.cancel();
      return worker;
    });
    expect(await rejection(run)).toBe(scope.cancelError);
  });

  it('on a cancelled scope rejects at once without starting a worker', async () => {
    let workers = 0;
    const count = (): void => {
      workers++;
    };
    process.on('worker', count);
    try {
      const scope = new Cancelable();
      const error = await rejection(
        scope.run(async (s) => {
          s.cancel('already');
          return runFixture(s, 'echo');
        }),
      );
      expect(error).toBe(scope.cancelError);
    } finally {
      process.off('worker', count);
    }
    expect(workers).toBe(0);
  });

  it('a caller that ends while the worker runs stops it first: no worker outlives its scope', async () => {
    const counter = sharedInts(1);
    let detached: Promise<unknown> | undefined;
    const scope = new Cancelable({ name: 'caller' });
    const value = await scope.run(async (s) => {
      detached = runFixture(s, 'park', { workerData: { counter, rethrow: true } });
      detached.catch(() => {});
      await until(() => Atomics.load(counter, 0) === 1, 15_000, 'the worker');
      return 'caller done';
    });
    // run() settled only after the worker ended; the forgotten run rejected with a ParentCancelation.
    expect(value).toBe('caller done');
    expect(snapshotResources().workers).toBe(0);
    const error = await rejection(detached!);
    expect(error).toBeInstanceOf(ParentCancelation);
    expect((error as Error).message).toMatch(/Parent operation ended/);
  });

  it('a cancelled caller waits for its worker even past its own grace period', async () => {
    const started = sharedInts(2);
    const scope = new Cancelable({ graceMs: 20 });
    const run = scope.run(async (s) => {
      void runFixture(s, 'spin-forever', { workerData: { started }, graceMs: 300 }).catch(() => {});
      await until(() => Atomics.load(started, 0) === 1, 15_000, 'the worker');
      s.cancel();
      await new Promise(() => {}); // a body that ignores the cancel: abandoned after 20 ms
    });
    await rejection(run);
    expect(snapshotResources().workers).toBe(0); // settled only once the worker was gone
  });

  it('100 workers started and cancelled leave no thread or handle behind', async () => {
    const baseline = snapshotResources();
    let rejected = 0;
    // In batches: a worker thread costs tens of MB and ~50 ms of CPU to boot on this kind of machine.
    for (let batch = 0; batch < 10; batch++) {
      const counter = sharedInts(1);
      const scope = new Cancelable({ name: `batch ${batch}`, graceMs: Infinity });
      // Batches 0, 4 and 8 are cancelled once every worker runs and stop by themselves; the others are
      // cancelled while they boot and terminated at once (graceMs 0).
      const waitForAll = batch % 4 === 0;
      const graceMs = waitForAll ? 10_000 : 0;
      const run = scope.run(async (s) => {
        const runs = Array.from({ length: 10 }, () =>
          runFixture(s, 'park', { workerData: { counter, rethrow: true }, graceMs }),
        );
        for (const r of runs) r.catch(() => {});
        if (waitForAll) await until(() => Atomics.load(counter, 0) === 10, 30_000, 'the batch');
        s.cancel(`batch ${batch}`);
        const outcomes = await Promise.allSettled(runs);
        for (const o of outcomes) {
          if (o.status === 'rejected' && o.reason === s.cancelError) rejected++;
        }
      });
      await run; // the body caught every rejection and returned within the grace
    }
    expect(rejected).toBe(100);
    expect(findLeaks(baseline)).toEqual([]);
  }, 120_000);
});

describe('runInWorker: bad input', () => {
  it('rejects bad arguments with clear errors at the call', async () => {
    await new Cancelable().run((scope) => {
      expect(() => inScope(scope).runInWorker(42 as unknown as string)).toThrow(
        /file must be a path or a file: URL, got 42/,
      );
      expect(() => inScope(scope).runInWorker('')).toThrow(/got an empty string/);
      expect(() => inScope(scope).runInWorker(new URL('https://example.com/w.js'))).toThrow(/file: URL/);
      expect(() => inScope(scope).runInWorker(TSX_ENTRY, { graceMs: -1 })).toThrow(RangeError);
      expect(() => inScope(scope).runInWorker(TSX_ENTRY, { graceMs: -1 })).toThrow(
        /options\.graceMs must be a number of milliseconds >= 0 \(or Infinity\), got -1/,
      );
      expect(() => inScope(scope).runInWorker(TSX_ENTRY, { graceMs: Number.NaN })).toThrow(RangeError);
      expect(() => inScope(scope).runInWorker(TSX_ENTRY, { graceMs: '5' as unknown as number })).toThrow(TypeError);
      expect(() => inScope(scope).runInWorker(TSX_ENTRY, 'x' as never)).toThrow(/options must be an options object/);
      expect(() => inScope(scope).runInWorker(TSX_ENTRY, { transferList: {} as never })).toThrow(/transferList/);
      expect(() => inScope(scope).runInWorker(TSX_ENTRY, { resourceLimits: 1 as never })).toThrow(/resourceLimits/);
      expect(() => inScope(scope).runInWorker(TSX_ENTRY, { execArgv: [1] as never })).toThrow(/execArgv/);
      expect(() => inScope(scope).runInWorker(TSX_ENTRY, { argv: 'a' as never })).toThrow(/argv/);
    });
  });

  it('needs a running scope: options.scope, else the current one', async () => {
    const scope = new Cancelable({ name: 'idle' });
    expect(() => runInWorker(fixture('echo'), { scope })).toThrow(/runInWorker\(\) needs a running scope; 'idle' is pending/);
    expect(() => runInWorker(fixture('echo'))).toThrow(/runInWorker\(\) needs a scope: pass options\.scope, or call it inside a running scope/);
    expect(() => runInWorker(fixture('echo'), { scope: {} as never })).toThrow(/options\.scope must be a Cancelable/);
    expect(() => runInWorker(fixture('echo'), { workerdata: 1 } as never)).toThrow(/options has an unknown key "workerdata"/);
    // Given explicitly, the scope need not be the current one.
    const outer = new Cancelable({ name: 'outer' });
    const value = await outer.run(() =>
      runInWorker<{ scopeName: string }>(TSX_ENTRY, { scope: outer, argv: [fixture('echo')], workerData: 1 }),
    );
    expect(value.scopeName).toBe('worker');
  });

  it('workerData that cannot be cloned rejects with a WorkerError, no worker left', async () => {
    const error = await rejection(new Cancelable().run((scope) => runFixture(scope, 'echo', { workerData: { f: () => 1 } })));
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toMatch(/Could not start worker/);
    expect(error).not.toBeInstanceOf(CancelationError);
  });
});
