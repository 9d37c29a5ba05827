import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  ConditionCancelation,
  ConditionSource,
  channelNames,
  setDefaultClock,
} from '../../src/index.js';
import { deferred, flush, ManualClock, rejection } from './clock.js';

interface SourceErrorMessage {
  scope: { name: string } | undefined;
  source: { name: string };
  phase: string;
  error: unknown;
}

/** Collects `cancelable:source-error` reports while `fn` runs. */
async function collectSourceErrors(fn: () => Promise<void>): Promise<SourceErrorMessage[]> {
  const seen: SourceErrorMessage[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as SourceErrorMessage);
  };
  subscribe(channelNames.sourceError, listener);
  try {
    await fn();
  } finally {
    unsubscribe(channelNames.sourceError, listener);
  }
  return seen;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ConditionSource', () => {
  it('checks at start, synchronously: a sync predicate already true cancels before the first await', async () => {
    const clock = new ManualClock();
    let sawCancelled: boolean | undefined;
    const scope = Cancelable.withCondition(() => true, 100, { conditionName: 'ready', clock, name: 'job' });
    const run = scope.run(async (s) => {
      sawCancelled = s.isCancelled;
      await s.sleep(1_000);
    });
    await expect(run).rejects.toBeInstanceOf(ConditionCancelation);
    expect(sawCancelled).toBe(true);
    const error = scope.cancelError as ConditionCancelation;
    expect(error.reason).toBe('condition');
    expect(error.conditionName).toBe('ready');
    expect(error.message).toBe("Condition 'ready' met after 1 checks");
    expect(scope.name).toBe('job');
    expect(clock.pending).toBe(0);
  });

  it('polls every intervalMs after the previous check and counts the checks', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const scope = Cancelable.withCondition(() => ++calls >= 3, 250, { clock, conditionName: 'third' });
    const run = rejection(scope.run((s) => s.sleep(10_000)));
    expect(calls).toBe(1);
    expect(clock.delays).toContain(250);
    clock.advance(249);
    expect(calls).toBe(1);
    clock.advance(1);
    expect(calls).toBe(2);
    await clock.tick(250);
    expect(calls).toBe(3);
    expect((await run).message).toBe("Condition 'third' met after 3 checks");
    expect(scope.status).toBe('cancelled');
    expect(clock.pending).toBe(0);
  });

  it('never runs two checks at once: a slow async predicate delays the next one', async () => {
    const clock = new ManualClock();
    const answers: ReturnType<typeof deferred<boolean>>[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const predicate = async (): Promise<boolean> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const answer = deferred<boolean>();
      answers.push(answer);
      try {
        return await answer.promise;
      } finally {
        inFlight--;
      }
    };
    const scope = Cancelable.withCondition(predicate, 100, { clock });
    const run = rejection(scope.run((s) => s.sleep(100_000)));
    expect(answers).toHaveLength(1);
    // The first check is still running: no timer is armed, however much time passes.
    expect(clock.pending).toBe(1); // the body's sleep only
    await clock.tick(5_000);
    expect(answers).toHaveLength(1);
    answers[0]!.resolve(false);
    await flush();
    await clock.tick(99);
    expect(answers).toHaveLength(1);
    await clock.tick(1);
    expect(answers).toHaveLength(2);
    answers[1]!.resolve(true);
    expect((await run).message).toBe("Condition 'predicate' met after 2 checks");
    expect(maxInFlight).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('reports a throwing or rejecting predicate and keeps polling', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const boom = new Error('boom');
    const flaky = (): boolean | Promise<boolean> => {
      calls++;
      if (calls === 1) throw boom;
      if (calls === 2) return Promise.reject(boom);
      return calls === 3;
    };
    const errors = await collectSourceErrors(async () => {
      const scope = Cancelable.withCondition(flaky, 50, { clock, name: 'flaky-job', conditionName: 'flaky' });
      const run = rejection(scope.run((s) => s.sleep(60_000)));
      await clock.tick(50);
      await clock.tick(50);
      expect((await run).message).toBe("Condition 'flaky' met after 3 checks");
    });
    expect(errors).toHaveLength(2);
    for (const report of errors) {
      expect(report.phase).toBe('predicate');
      expect(report.error).toBe(boom);
      expect(report.source.name).toBe('flaky');
      expect(report.scope?.name).toBe('flaky-job');
    }
  });

  it('names the condition after the predicate, or "condition" when anonymous', () => {
    function diskFull(): boolean {
      return false;
    }
    expect(new ConditionSource(diskFull).name).toBe('diskFull');
    expect(new ConditionSource(() => false).name).toBe('condition');
    expect(new ConditionSource(diskFull, 100, { name: 'disk' }).name).toBe('disk');
    const stopFlag = (): boolean => false;
    expect(new ConditionSource(stopFlag).intervalMs).toBe(100);
    expect(new ConditionSource(stopFlag).name).toBe('stopFlag');
  });

  it('unrefs its timers: polling never keeps the process alive', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withCondition(() => false, 1_000, { clock });
    const gate = deferred();
    const run = scope.run(() => gate.promise);
    expect(clock.pending).toBe(1);
    expect(clock.refed).toBe(0);
    await clock.tick(1_000);
    expect(clock.pending).toBe(1);
    expect(clock.refed).toBe(0);
    gate.resolve();
    await run;
    expect(clock.pending).toBe(0);
  });

  it('with the real clock, adds no ref\'d timer to the event loop', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length;
    const gate = deferred();
    let inside = -1;
    const before = timers();
    const run = Cancelable.withCondition(() => false, 60_000).run(async () => {
      inside = timers();
      await gate.promise;
    });
    gate.resolve();
    await run;
    expect(inside).toBeLessThanOrEqual(before);
  });

  it('stops polling when the scope ends; a late async answer is ignored', async () => {
    const clock = new ManualClock();
    const answer = deferred<boolean>();
    const late = deferred<boolean>();
    let calls = 0;
    const scope = Cancelable.withCondition(() => (++calls === 1 ? answer.promise : late.promise), 10, { clock });
    await scope.run(async () => {
      answer.resolve(false);
      await flush();
      clock.advance(10);
    });
    expect(calls).toBe(2);
    const errors = await collectSourceErrors(async () => {
      late.reject(new Error('too late'));
      await flush();
    });
    expect(errors).toHaveLength(0);
    expect(clock.pending).toBe(0);
    expect(scope.status).toBe('completed');
  });

  it('serves several scopes at once, each with its own count', async () => {
    const clock = new ManualClock();
    let value = false;
    const source = new ConditionSource(() => value, 100, { name: 'shared' });
    const a = new Cancelable({ sources: [source], clock });
    const runA = rejection(a.run((s) => s.sleep(10_000)));
    await clock.tick(200); // a: 3 checks
    const b = new Cancelable({ sources: [source], clock });
    const runB = rejection(b.run((s) => s.sleep(10_000))); // b: 1 check
    value = true;
    await clock.tick(100);
    expect((await runA).message).toBe("Condition 'shared' met after 4 checks");
    expect((await runB).message).toBe("Condition 'shared' met after 2 checks");
    expect(clock.pending).toBe(0);
  });

  it('works with vitest fake timers through the default clock', async () => {
    vi.useFakeTimers();
    let stop = false;
    const outcome = rejection(
      Cancelable.withCondition(() => stop, 5_000, { conditionName: 'stop' }).run((s) => s.sleep(60_000)),
    );
    await vi.advanceTimersByTimeAsync(5_000);
    stop = true;
    await vi.advanceTimersByTimeAsync(5_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(ConditionCancelation);
    expect(error.message).toBe("Condition 'stop' met after 3 checks");
  });

  it('can be started outside a scope through the custom-source API', async () => {
    const clock = new ManualClock();
    const previous = setDefaultClock(clock);
    try {
      let calls = 0;
      const source = new ConditionSource(() => ++calls === 2, 40, { name: 'solo' });
      const messages: (string | undefined)[] = [];
      source.start((message) => messages.push(message));
      expect(source.isActive).toBe(true);
      await clock.tick(40);
      expect(messages).toEqual(["Condition 'solo' met after 2 checks"]);
      source.stop();
      source.stop();
      expect(source.isActive).toBe(false);
      expect(clock.pending).toBe(0);
    } finally {
      setDefaultClock(previous);
    }
  });

  it('rejects bad input with errors naming the parameter', () => {
    const ok = (): boolean => false;
    expect(() => new ConditionSource(ok, 0)).toThrow(RangeError);
    expect(() => new ConditionSource(ok, 0)).toThrow(/intervalMs/);
    expect(() => new ConditionSource(ok, -5)).toThrow(/intervalMs.*-5/);
    expect(() => new ConditionSource(ok, Number.NaN)).toThrow(RangeError);
    expect(() => new ConditionSource(ok, Infinity)).toThrow(RangeError);
    expect(() => new ConditionSource(ok, 2 ** 31)).not.toThrow(); // stepped, never clamped to 1 ms
    expect(() => new ConditionSource(ok, '100' as unknown as number)).toThrow(TypeError);
    expect(() => new ConditionSource(true as unknown as () => boolean)).toThrow(/predicate must be a function, got true/);
    expect(() => new ConditionSource(ok, 100, { name: 5 as unknown as string })).toThrow(/options\.name/);
    expect(() => Cancelable.withCondition(ok, 0)).toThrow(/intervalMs/);
    expect(() => Cancelable.withCondition(null as unknown as () => boolean)).toThrow(TypeError);
    expect(() => Cancelable.withCondition(ok, 100, { conditionName: 1 as unknown as string })).toThrow(
      /options\.conditionName/,
    );
    expect(() => Cancelable.withCondition(ok, 100, 'x' as never)).toThrow(/options must be an options object/);
  });
});
