/**
 * Issue 16 #16 (SPEC §2): every options object rejects an unknown key with a TypeError naming it — a
 * typo in plain JavaScript must never be silently dropped — plus the papercuts of the same item:
 * `new Cancelable({ timeout })`, `scope.waitForCancel()`, and `scope.cancel()` / `scope.token.cancel()`
 * before start behaving the same.
 */
import { describe, expect, it } from 'vitest';
import {
  AbortSignalSource,
  AllOfSource,
  AnyOfSource,
  Cancelable,
  CancelationToken,
  ConditionSource,
  DeadlineSource,
  SignalSource,
  TimeoutCancelation,
  TimeoutSource,
  TokenSource,
  cancelable,
  cancelableCombine,
  cancelableStream,
  cancelableWithCondition,
  cancelableWithSignal,
  cancelableWithToken,
  chunkedCancelableStream,
  withTimeout,
} from '../../src/index.js';
import { ParentProcessSource, ResourceConditionSource } from '../../src/processes/index.js';
import {
  CancelationScenario,
  ManualClock,
  MockCancelationToken,
  OperationRecorder,
  assertCancelationWithin,
  createSlowStream,
} from '../../src/testing/index.js';
import { inScope } from '../harness/in-scope.js';

const BAD = 'bogusKey';
const bad = (extra: object = {}): never => ({ ...extra, [BAD]: 1 }) as never;
const noop = async (): Promise<number> => 1;

/** [name, call]: each call passes an options object with one unknown key. */
const cases: [string, () => unknown][] = [
  ['new Cancelable', () => new Cancelable(bad())],
  ['Cancelable.withTimeout', () => Cancelable.withTimeout(1, bad())],
  ['Cancelable.withDeadline', () => Cancelable.withDeadline(Date.now() + 60_000, bad())],
  ['Cancelable.withToken', () => Cancelable.withToken(new CancelationToken(), bad())],
  ['Cancelable.withSignal', () => Cancelable.withSignal('SIGTERM', bad())],
  ['Cancelable.withCondition', () => Cancelable.withCondition(() => false, 100, bad())],
  ['Cancelable.withAbortSignal', () => Cancelable.withAbortSignal(new AbortController().signal, bad())],
  ['Cancelable.combine', () => Cancelable.combine([], bad())],
  ['scope.shield', () => new Cancelable().run((s) => s.shield(() => 1, bad()))],
  ['scope.stream', () => new Cancelable().stream([1], bad())],
  ['cancelableStream', () => cancelableStream([1], new Cancelable(), bad())],
  ['chunkedCancelableStream', () => chunkedCancelableStream([1], new Cancelable(), bad({ chunkSize: 2 }))],
  ['cancelable (options, fn)', () => cancelable(bad(), noop)],
  ['cancelable (options)', () => cancelable(bad())],
  ['withTimeout', () => withTimeout(10, noop, bad())],
  ['cancelableWithToken', () => cancelableWithToken(new CancelationToken(), noop, bad())],
  ['cancelableWithSignal', () => cancelableWithSignal('SIGTERM', noop, bad())],
  ['cancelableWithCondition', () => cancelableWithCondition(() => false, 100, noop, bad())],
  ['cancelableCombine', () => cancelableCombine([new CancelationToken()], noop, bad())],
  ['new TimeoutSource', () => new TimeoutSource(1, bad())],
  ['new DeadlineSource', () => new DeadlineSource(Date.now() + 60_000, bad())],
  ['new TokenSource', () => new TokenSource(new CancelationToken(), bad())],
  ['new AbortSignalSource', () => new AbortSignalSource(new AbortController().signal, bad())],
  ['new SignalSource', () => new SignalSource('SIGTERM', bad())],
  ['new ConditionSource', () => new ConditionSource(() => false, 100, bad())],
  ['new AnyOfSource', () => new AnyOfSource([new TimeoutSource(5)], bad())],
  ['new AllOfSource', () => new AllOfSource([new TimeoutSource(5)], bad())],
  ['new ParentProcessSource', () => new ParentProcessSource(bad())],
  ['new ResourceConditionSource', () => new ResourceConditionSource(bad({ memoryPercent: 99 }))],
  ['ResourceConditionSource samplers', () => new ResourceConditionSource({ memoryPercent: 99, samplers: bad() })],
  ['spawn', () => inScope(new Cancelable()).spawn('true', [], bad())],
  ['fork', () => inScope(new Cancelable()).fork('/nonexistent.js', [], bad())],
  ['runInWorker', () => inScope(new Cancelable()).runInWorker('/nonexistent.js', bad())],
  ['new ManualClock', () => new ManualClock(bad())],
  ['new MockCancelationToken', () => new MockCancelationToken(bad())],
  ['recorder.attach', () => new OperationRecorder().attach(new Cancelable(), bad())],
  ['recorder.waitForEvent', () => new OperationRecorder().waitForEvent('start', bad())],
  ['createSlowStream', () => createSlowStream([1], 10, bad())],
  ['new CancelationScenario', () => new CancelationScenario('s', bad())],
  ['assertCancelationWithin', () => assertCancelationWithin(0, 10, Promise.resolve(), bad())],
];

describe('unknown option keys (issue 16 #16)', () => {
  it.each(cases)('%s rejects an unknown key with a TypeError naming it', async (_name, call) => {
    let thrown: unknown;
    try {
      const result = call();
      // The few documented async APIs report bad input as a rejection.
      if (result instanceof Promise) await result;
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).message).toMatch(/has an unknown key "bogusKey"; expected one of /);
  });

  it('lists the accepted keys in the message', () => {
    expect(() => new Cancelable({ timout: 5 } as never)).toThrow(
      /options has an unknown key "timout"; expected one of name, id, parent, sources, timeout, deadline/,
    );
    expect(() => new SignalSource('SIGTERM', { exitOnSecondsignal: true } as never)).toThrow(/expected one of name, exitOnSecondSignal/);
  });

  it('accepts the keys it documents, Node child_process options included', async () => {
    expect(() => new AnyOfSource([new TimeoutSource(5)], { name: 'x' })).not.toThrow();
    expect(() => new Cancelable().stream([1], { bufferSize: 1, reportInterval: 1, bufferPartial: true, onProgress: () => undefined })).not.toThrow();
    const chunks = chunkedCancelableStream([1, 2, 3], new Cancelable(), { chunkSize: 2, maxWaitMs: 50, bufferSize: 1 });
    await new Cancelable().run(async () => {
      const seen: number[][] = [];
      for await (const chunk of chunks) seen.push(chunk);
      expect(seen).toEqual([[1, 2], [3]]);
    });
    const result = await new Cancelable().run(() =>
      inScope(Cancelable.current()!).spawn(process.execPath, ['-e', 'process.stdout.write(process.cwd())'], {
        cwd: '/',
        env: { ...process.env },
        windowsHide: true,
        timeout: 10_000,
        graceMs: 1_000,
        collect: true,
        encoding: 'utf8',
      }),
    );
    expect(result.stdout).toBe('/');
  });
});

describe('new Cancelable({ timeout }) (issue 16 #16)', () => {
  it('cancels the scope after the timeout, as withTimeout does', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ timeout: 50, clock });
    const run = scope.run((s) => s.sleep(1_000)).catch((e: unknown) => e);
    await clock.advance(49);
    expect(scope.isCancelled).toBe(false);
    await clock.advance(1);
    expect(await run).toBeInstanceOf(TimeoutCancelation);
    expect(scope.sources[0]).toBeInstanceOf(TimeoutSource);
  });

  it('validates it, naming the option', () => {
    expect(() => new Cancelable({ timeout: -1 })).toThrow(/options\.timeout must be a finite number of milliseconds >= 0, got -1/);
    expect(() => new Cancelable({ timeout: '5' as never })).toThrow(TypeError);
  });
});

describe('scope.waitForCancel() (issue 16 #16)', () => {
  it('resolves with the cancellation error, by any source, and never rejects', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ timeout: 10, clock });
    const run = scope.run(async (s) => {
      const error = await s.waitForCancel();
      return error;
    });
    await clock.advance(10);
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error).toBe(scope.cancelError);
    await expect(scope.waitForCancel()).resolves.toBe(scope.cancelError);
  });

  it('already cancelled: resolves at once', async () => {
    const scope = new Cancelable();
    scope.cancel('stop');
    await expect(scope.waitForCancel()).resolves.toMatchObject({ reason: 'manual', message: 'stop' });
  });
});

describe('cancel() and token.cancel() before start behave the same (issue 16 #16)', () => {
  async function observe(cancel: (scope: Cancelable) => void): Promise<object> {
    const scope = new Cancelable({ name: 'early' });
    cancel(scope);
    const before = { isCancelled: scope.isCancelled, status: scope.status, aborted: scope.signal.aborted };
    let bodyRan = false;
    const error = (await scope
      .run(async (s) => {
        bodyRan = true;
        await s.sleep(60_000); // the body starts with an aborted signal; its first await rejects
      })
      .catch((e: unknown) => e)) as Error & { reason?: string };
    return {
      before,
      bodyRan,
      name: error.name,
      reason: error.reason,
      message: error.message,
      same: error === scope.cancelError && error === scope.signal.reason,
      status: scope.status,
      context: { cancelReason: scope.context.cancelReason, cancelMessage: scope.context.cancelMessage },
    };
  }

  it('without an argument', async () => {
    expect(await observe((s) => void s.token.cancel())).toEqual(await observe((s) => void s.cancel()));
  });

  it('with a reason and a message', async () => {
    const viaToken = await observe((s) => void s.token.cancel({ reason: 'timeout', message: 'budget' }));
    const viaScope = await observe((s) => void s.cancel({ reason: 'timeout', message: 'budget' }));
    expect(viaToken).toEqual(viaScope);
    expect(viaScope).toMatchObject({ bodyRan: true, name: 'TimeoutCancelation', status: 'cancelled', same: true });
  });
});
