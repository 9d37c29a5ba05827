/**
 * The grace period: how long run() waits, after a cancellation, for a body that ignores it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cancelable, CancelationToken, DEFAULT_GRACE_MS, channelNames } from '../../src/index.js';
import { listen, rejection, track } from './helpers.js';
import { flush, ManualClock } from './manual-clock.js';

const never = (): Promise<never> => new Promise<never>(() => {});

afterEach(() => {
  vi.useRealTimers();
});

describe('grace period', () => {
  it('defaults to DEFAULT_GRACE_MS (100 ms)', () => {
    expect(DEFAULT_GRACE_MS).toBe(100);
    expect(new Cancelable().graceMs).toBe(100);
    expect(new Cancelable({ graceMs: 0 }).graceMs).toBe(0);
    expect(new Cancelable({ graceMs: Infinity }).graceMs).toBe(Infinity);
  });

  it('counts from the cancellation, not from the start', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 100 });
    const run = track(scope.run(() => never()));
    await clock.tick(5_000);
    expect(run.settled).toBe(false);
    expect(clock.pending).toBe(0); // nothing armed until a cancellation
    scope.cancel();
    expect(clock.delays).toEqual([100]);
    await clock.tick(99);
    expect(run.settled).toBe(false);
    await clock.tick(1);
    expect(await rejection(run.promise)).toBe(scope.cancelError);
    expect(scope.status).toBe('cancelled');
  });

  it('graceMs: 0 rejects on the next timer turn', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 0 });
    const run = track(scope.run(() => never()));
    scope.cancel();
    expect(run.settled).toBe(false);
    await clock.tick(0);
    expect(run.settled).toBe(true);
    await rejection(run.promise);
  });

  it('is cleared when the body ends in time', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 100 });
    const run = scope.run(async (s) => {
      s.cancel();
      await Promise.resolve();
      return 'cooperative';
    });
    expect(clock.pending).toBe(1);
    await expect(run).resolves.toBe('cooperative');
    expect(clock.pending).toBe(0);
  });

  it('with the default system clock and fake timers: 100 ms after a timeout', async () => {
    vi.useFakeTimers();
    const scope = Cancelable.withTimeout(1_000);
    const run = track(scope.run(() => never()));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(scope.isCancelled).toBe(true);
    await vi.advanceTimersByTimeAsync(99);
    expect(run.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(run.settled).toBe(true);
    await rejection(run.promise);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an abandoned body: reported on cancelable:abandoned and logged, its outcome dropped', async () => {
    const clock = new ManualClock();
    const warnings: unknown[][] = [];
    const logger = { warn: (...args: unknown[]) => void warnings.push(args), debug: () => undefined };
    const abandoned = listen<{ scope: Cancelable; outcome: string }>(channelNames.abandoned);
    try {
      const scope = new Cancelable({ clock, graceMs: 20, name: 'stubborn', logger });
      let fail!: (error: Error) => void;
      const run = rejection(scope.run(() => new Promise<void>((_, reject) => (fail = reject))));
      scope.cancel();
      await clock.tick(20);
      expect(await run).toBe(scope.cancelError);
      expect(abandoned.messages.map((m) => m.outcome)).toEqual(['pending']);
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]![0])).toContain("'stubborn' ignored cancellation for 20ms");
      fail(new Error('late'));
      await clock.tick(0);
      expect(abandoned.messages.map((m) => m.outcome)).toEqual(['pending', 'rejected']);
      expect(scope.status).toBe('cancelled');
    } finally {
      abandoned.stop();
    }
  });

  it('a body started already cancelled gets its grace from the start of the body', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 50 });
    scope.cancel('before start');
    const run = track(scope.run(() => never()));
    await clock.tick(49);
    expect(run.settled).toBe(false);
    await clock.tick(1);
    expect(run.settled).toBe(true);
    await rejection(run.promise);
  });

  it('async onStart while cancelled: the grace starts with the body, after onStart', async () => {
    const clock = new ManualClock();
    const token = new CancelationToken();
    token.cancelSync('cancelled before start');
    const scope = Cancelable.withToken(token, { clock, graceMs: 50 });
    let bodyStartedAt: number | undefined;
    scope.onStart(async () => {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 200, undefined));
    });
    const run = track(
      scope.run(() => {
        bodyStartedAt = clock.now();
        return never();
      }),
    );
    await clock.tick(200);
    expect(bodyStartedAt).toBe(clock.now());
    await clock.tick(49);
    expect(run.settled).toBe(false);
    await clock.tick(1);
    expect(run.settled).toBe(true);
    expect(await rejection(run.promise)).toBe(scope.cancelError);
    expect(clock.pending).toBe(0);
  });

  it('each scope has its own grace: a child with a long grace keeps its parent waiting', async () => {
    const clock = new ManualClock();
    const parent = new Cancelable({ clock, graceMs: 10 });
    const run = track(
      parent.run(async () => {
        await new Cancelable({ clock, graceMs: 300 }).run(() => never());
      }),
    );
    parent.cancel();
    await clock.tick(10); // the parent body is abandoned...
    expect(run.settled).toBe(false); // ...but the parent waits for its still-running child
    await clock.tick(290);
    expect(run.settled).toBe(true);
    await rejection(run.promise);
  });
});

// Mutation testing (docs/reliability.md): when the grace period is armed, and what an abandoned body's
// late outcome logs.
describe('grace period: when it is armed', () => {
  it('a cancellation during an async onStart: the grace counts from the body, not from the cancellation', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 50 });
    scope.onStart(() => new Promise<void>((resolve) => clock.setTimeout(resolve, 30, undefined)));
    const run = track(scope.run(() => never()));
    scope.cancel('during start');
    await clock.tick(30); // the body starts now
    await clock.tick(49);
    expect(run.settled).toBe(false);
    await clock.tick(1);
    expect(run.settled).toBe(true);
    await rejection(run.promise);
  });

  it('graceMs: Infinity arms no timer: run() waits for the body for ever', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: Infinity });
    let finish!: () => void;
    const run = track(scope.run(() => new Promise<void>((resolve) => (finish = resolve))));
    scope.cancel();
    expect(clock.pending).toBe(0);
    await clock.tick(1_000_000);
    expect(run.settled).toBe(false);
    finish();
    await run.promise; // a value is always a completion (SPEC §3)
    expect(scope.status).toBe('completed');
  });

  it('an abandoned body that settles later is logged at debug level', async () => {
    const clock = new ManualClock();
    const debug: unknown[][] = [];
    const logger = { warn: () => undefined, debug: (...args: unknown[]) => void debug.push(args) };
    const scope = new Cancelable({ clock, graceMs: 5, name: 'late', logger });
    let finish!: (value: string) => void;
    const run = rejection(scope.run(() => new Promise<string>((resolve) => (finish = resolve))));
    scope.cancel();
    await clock.tick(5);
    await run;
    debug.length = 0;
    finish('done anyway');
    await flush(1);
    expect(debug).toHaveLength(1);
    expect(debug[0]![0]).toBe("cancelable: abandoned body of 'late' settled after the scope ended");
    expect(debug[0]![1]).toEqual({ operationId: scope.id });
  });
});
