import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  AbortSignalSource,
  AllOfSource,
  AnyOfSource,
  Cancelable,
  CancelationSource,
  CancelationToken,
  ConditionCancelation,
  ConditionSource,
  DeadlineSource,
  ManualCancelation,
  TimeoutCancelation,
  TimeoutSource,
  TokenSource,
  channelNames,
  type CancelationSourceOptions,
} from '../../src/index.js';
import { ManualClock, rejection } from './clock.js';

/** A custom source fired by hand; counts its starts and stops. */
class ManualSource extends CancelationSource {
  fire: ((message?: string) => void) | undefined;
  starts = 0;
  stops = 0;
  failStart = false;
  failStop = false;
  constructor(options?: CancelationSourceOptions) {
    super(options);
  }
  start(trigger: (message?: string) => void): void {
    if (this.failStart) throw new Error('cannot start');
    this.starts++;
    this.fire = trigger;
  }
  stop(): void {
    if (this.fire === undefined) return;
    this.fire = undefined;
    this.stops++;
    if (this.failStop) throw new Error('cannot stop');
  }
}

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('composite sources: validation', () => {
  it('rejects an empty list, a non-array, bad items and duplicates, naming the parameter', () => {
    expect(() => new AnyOfSource([])).toThrow(RangeError);
    expect(() => new AllOfSource([])).toThrow(/sources must not be empty/);
    expect(() => new AnyOfSource('x' as never)).toThrow(/sources must be an array/);
    expect(() => new AllOfSource([new TimeoutSource(1), 42 as never])).toThrow(
      /sources\[1\] must be a CancelationSource, CancelationToken or AbortSignal, got 42/,
    );
    const timeout = new TimeoutSource(5);
    expect(() => new AllOfSource([timeout, new TimeoutSource(6), timeout])).toThrow(
      /sources\[2\] is the same item as sources\[0\]/,
    );
    expect(() => new AnyOfSource([timeout], { name: 1 as never })).toThrow(/options\.name/);
    expect(() => new AnyOfSource([timeout], 'name' as never)).toThrow(/options must be an options object/);
  });

  it('wraps tokens and AbortSignals, and names itself after its children', () => {
    const token = new CancelationToken();
    const controller = new AbortController();
    const any = new AnyOfSource([new TimeoutSource(10), token, controller.signal]);
    expect(any.sources[1]).toBeInstanceOf(TokenSource);
    expect(any.sources[2]).toBeInstanceOf(AbortSignalSource);
    expect(any.name).toBe('any-of(timeout(10ms), token, abort-signal)');
    expect(new AllOfSource([any], { name: 'both' }).name).toBe('both');
  });
});

describe('AnyOfSource', () => {
  it('fires with the first child\'s own reason, message and details', async () => {
    const clock = new ManualClock();
    const token = new CancelationToken();
    const source = new AnyOfSource([new TimeoutSource(100), token]);
    const first = new Cancelable({ clock, sources: [source] });
    const firstRun = rejection(first.run((s) => s.sleep(10_000)));
    clock.advance(100);
    const timeout = await firstRun;
    expect(timeout).toBeInstanceOf(TimeoutCancelation);
    expect((timeout as TimeoutCancelation).timeoutMs).toBe(100);
    expect(timeout.message).toBe('Operation timed out after 100ms');

    const second = new Cancelable({ clock, sources: [source] });
    const secondRun = rejection(second.run((s) => s.sleep(10_000)));
    await token.cancel('User pressed stop');
    const manual = await secondRun;
    expect(manual).toBeInstanceOf(ManualCancelation);
    expect(manual.message).toBe('User pressed stop');
    expect(clock.pending).toBe(0);
  });

  it('works with deadlines, conditions and AbortSignals', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const scope = new Cancelable({
      clock,
      sources: [
        new AnyOfSource([
          new DeadlineSource(clock.now() + 500),
          new ConditionSource(() => false, 50),
          controller.signal,
        ]),
      ],
    });
    const run = rejection(scope.run((s) => s.sleep(10_000)));
    expect(abortListeners(controller.signal)).toBe(1);
    clock.advance(499);
    expect(scope.isCancelled).toBe(false);
    clock.advance(1);
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error.message).toMatch(/^Deadline .* reached$/);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('fires at start when a child fires while it is being activated', async () => {
    const token = new CancelationToken();
    token.cancelSync({ reason: 'manual', message: 'already' });
    let sawCancelled = false;
    const error = await rejection(
      new Cancelable({ sources: [new AnyOfSource([new TimeoutSource(60_000), token])] }).run((s) => {
        sawCancelled = s.isCancelled;
        return s.sleep(60_000);
      }),
    );
    expect(sawCancelled).toBe(true);
    expect(error.message).toBe('already');
  });
});

describe('AllOfSource', () => {
  it('fires when the last child fires, counting each child once, with its reason', async () => {
    const a = new ManualSource({ name: 'a' });
    const b = new ManualSource({ name: 'b', reason: 'condition' });
    const scope = new Cancelable({ sources: [new AllOfSource([a, b])] });
    const run = rejection(scope.run((s) => s.sleep(60_000)));
    a.fire?.('a once');
    a.fire?.('a twice');
    expect(scope.isCancelled).toBe(false);
    b.fire?.('b');
    const error = await run;
    expect(error).toBeInstanceOf(ConditionCancelation);
    expect(error.message).toBe('All 2 sources have triggered');
    expect(scope.context.cancelReason).toBe('condition');
    expect([a.starts, a.stops, b.starts, b.stops]).toEqual([1, 1, 1, 1]);
  });

  it('works with timeouts and deadlines: fires at the later one', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({
      clock,
      sources: [new AllOfSource([new TimeoutSource(100), new DeadlineSource(clock.now() + 300)])],
    });
    const run = rejection(scope.run((s) => s.sleep(10_000)));
    clock.advance(299);
    expect(scope.isCancelled).toBe(false);
    clock.advance(1);
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as TimeoutCancelation).timeoutMs).toBe(300);
    expect(error.message).toBe('All 2 sources have triggered');
    expect(clock.pending).toBe(0);
  });

  it('waits for a condition and a timeout together', async () => {
    const clock = new ManualClock();
    let idle = false;
    const scope = new Cancelable({
      clock,
      sources: [new AllOfSource([new TimeoutSource(1_000), new ConditionSource(() => idle, 100, { name: 'idle' })])],
    });
    const run = rejection(scope.run((s) => s.sleep(60_000)));
    idle = true; // met at the next check (t=100), but the timeout is not there yet
    await clock.tick(500);
    expect(scope.isCancelled).toBe(false);
    await clock.tick(500);
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error.message).toBe('All 2 sources have triggered');
    expect(clock.pending).toBe(0);
  });

  it('nests: any-of inside all-of inside any-of', async () => {
    const clock = new ManualClock();
    const t1 = new CancelationToken();
    const t2 = new CancelationToken();
    const t3 = new CancelationToken();
    const source = new AnyOfSource([
      new AllOfSource([new AnyOfSource([t1, new TimeoutSource(5_000)]), t2, new AllOfSource([t3])]),
      new TimeoutSource(60_000),
    ]);
    const scope = new Cancelable({ clock, sources: [source] });
    const run = rejection(scope.run((s) => s.sleep(120_000)));
    await t2.cancel('two');
    await t3.cancel('three');
    expect(scope.isCancelled).toBe(false);
    clock.advance(5_000); // completes the inner any-of, hence the all-of, hence the outer any-of
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error.message).toBe('All 3 sources have triggered');
    expect(clock.pending).toBe(0);
  });

  it('fires at start when every child fires while being activated', async () => {
    const token = new CancelationToken();
    token.cancelSync('done');
    const error = await rejection(
      new Cancelable({
        sources: [new AllOfSource([new TimeoutSource(0), token, new ConditionSource(() => true)])],
      }).run((s) => s.sleep(60_000)),
    );
    expect(error).toBeInstanceOf(ConditionCancelation);
    expect(error.message).toBe('All 3 sources have triggered');
  });
});

describe('composite sources: lifecycle', () => {
  it('serves several scopes at once with independent counts', async () => {
    const clock = new ManualClock();
    const shared = new AllOfSource([new TimeoutSource(100), new TimeoutSource(200)]);
    const a = new Cancelable({ clock, sources: [shared] });
    const runA = rejection(a.run((s) => s.sleep(10_000)));
    clock.advance(150);
    const b = new Cancelable({ clock, sources: [shared] });
    const runB = rejection(b.run((s) => s.sleep(10_000)));
    clock.advance(50);
    expect(a.isCancelled).toBe(true);
    expect(b.isCancelled).toBe(false);
    clock.advance(150);
    expect(b.isCancelled).toBe(true);
    await Promise.all([runA, runB]);
    expect(clock.pending).toBe(0);
  });

  it('releases every child when the scope ends, whatever fired', async () => {
    const controller = new AbortController();
    const custom = new ManualSource();
    const clock = new ManualClock();
    const scope = new Cancelable({
      clock,
      sources: [new AnyOfSource([new AllOfSource([controller.signal, custom]), new ConditionSource(() => false, 10)])],
    });
    await scope.run(async () => {
      expect(abortListeners(controller.signal)).toBe(1);
      expect(custom.isActive).toBe(true);
      expect(clock.pending).toBe(1);
    });
    expect(abortListeners(controller.signal)).toBe(0);
    expect(custom.isActive).toBe(false);
    expect(custom.stops).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('undoes a partial activation when a child fails to start', async () => {
    const controller = new AbortController();
    const broken = new ManualSource({ name: 'broken' });
    broken.failStart = true;
    const scope = new Cancelable({ sources: [new AllOfSource([controller.signal, broken])] });
    await expect(scope.run(() => 'never')).rejects.toThrow('cannot start');
    expect(scope.status).toBe('failed');
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('reports a child that fails to stop and still stops the others', async () => {
    const failing = new ManualSource({ name: 'failing' });
    failing.failStop = true;
    const other = new ManualSource({ name: 'other' });
    const reports: { phase: string; source: { name: string } }[] = [];
    const listener = (message: unknown): void => {
      reports.push(message as { phase: string; source: { name: string } });
    };
    subscribe(channelNames.sourceError, listener);
    try {
      await new Cancelable({ sources: [new AnyOfSource([failing, other])] }).run(() => undefined);
    } finally {
      unsubscribe(channelNames.sourceError, listener);
    }
    expect(reports.map((r) => [r.phase, r.source.name])).toEqual([['stop', 'failing']]);
    expect(other.stops).toBe(1);
  });

  it('a custom source inside a composite serves one scope at a time', async () => {
    const custom = new ManualSource({ name: 'solo' });
    const source = new AnyOfSource([custom]);
    let release!: () => void;
    const first = new Cancelable({ sources: [source] }).run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(new Cancelable({ sources: [source] }).run(() => 'x')).rejects.toThrow(/already in use/);
    release();
    await first;
    // Free again once the first scope ended.
    await expect(new Cancelable({ sources: [source] }).run(() => 'ok')).resolves.toBe('ok');
  });
});
