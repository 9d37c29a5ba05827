/**
 * SPEC §4 custom sources: subclass CancelationSource, implement start(trigger) and stop().
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Cancelable,
  CancelationSource,
  ConditionCancelation,
  ManualCancelation,
  TimeoutSource,
  channelNames,
  setDefaultClock,
  type CancelationInit,
} from '../../src/index.js';
import { listen, rejection } from './helpers.js';
import { ManualClock } from './manual-clock.js';

/** The doc example: cancels when an emitter emits an event. */
class EventCancelSource extends CancelationSource {
  readonly calls: string[] = [];
  #off: (() => void) | undefined;
  constructor(
    private readonly emitter: EventEmitter,
    private readonly event: string,
  ) {
    super({ name: `event:${event}` });
  }
  start(trigger: (message?: string) => void): void {
    this.calls.push('start');
    const listener = (): void => trigger(`Event '${this.event}' fired`);
    this.emitter.once(this.event, listener);
    this.#off = () => this.emitter.off(this.event, listener);
  }
  stop(): void {
    this.calls.push('stop');
    this.#off?.();
    this.#off = undefined;
  }
}

let sourceErrors: ReturnType<typeof listen<{ scope: Cancelable | undefined; source: CancelationSource; phase: string; error: unknown }>>;
beforeEach(() => {
  sourceErrors = listen(channelNames.sourceError);
});
afterEach(() => {
  sourceErrors.stop();
});

describe('the start/stop contract', () => {
  it('start at run start (not construction), trigger cancels with the reason and message, stop at the end', async () => {
    const emitter = new EventEmitter();
    const source = new EventCancelSource(emitter, 'shutdown');
    const scope = new Cancelable({ sources: [source] });
    expect(source.calls).toEqual([]);
    expect(source.isActive).toBe(false);
    const run = rejection(
      scope.run(async (s) => {
        expect(source.calls).toEqual(['start']);
        expect(source.isActive).toBe(true);
        expect(emitter.listenerCount('shutdown')).toBe(1);
        await s.sleep(60_000);
      }),
    );
    emitter.emit('shutdown');
    const error = await run;
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe("Event 'shutdown' fired");
    expect(source.calls).toEqual(['start', 'stop']);
    expect(source.isActive).toBe(false);
    expect(emitter.listenerCount('shutdown')).toBe(0);
  });

  it('stop is called exactly once when the scope ends without the source firing', async () => {
    const emitter = new EventEmitter();
    const source = new EventCancelSource(emitter, 'never');
    await new Cancelable({ sources: [source] }).run(() => 'done');
    expect(source.calls).toEqual(['start', 'stop']);
    expect(emitter.listenerCount('never')).toBe(0);
  });

  it('a custom reason gives its error class; initFor adds reason-specific fields', async () => {
    class FlagSource extends CancelationSource {
      fire: ((message?: string) => void) | undefined;
      constructor() {
        super({ reason: 'condition', name: 'flag' });
      }
      start(trigger: (message?: string) => void): void {
        this.fire = trigger;
      }
      stop(): void {
        this.fire = undefined;
      }
      protected override initFor(message: string | undefined): CancelationInit {
        return { reason: 'condition', message, conditionName: 'stop-flag' };
      }
    }
    const source = new FlagSource();
    const run = rejection(new Cancelable({ sources: [source] }).run((s) => s.sleep(60_000)));
    source.fire?.('flag raised');
    const error = (await run) as ConditionCancelation;
    expect(error).toBeInstanceOf(ConditionCancelation);
    expect(error.conditionName).toBe('stop-flag');
    expect(error.message).toBe('flag raised');
  });

  it('the protected trigger() works while started and is a no-op otherwise; stale triggers too', async () => {
    class Manual extends CancelationSource {
      saved: ((message?: string) => void) | undefined;
      start(trigger: (message?: string) => void): void {
        this.saved = trigger;
      }
      stop(): void {}
      fireNow(message: string): void {
        this.trigger(message);
      }
    }
    const source = new Manual();
    source.fireNow('not started: ignored');
    const first = new Cancelable({ sources: [source] });
    await first.run(() => undefined);
    const stale = source.saved!;
    stale('stale trigger: ignored');
    source.fireNow('ended: ignored');
    expect(first.status).toBe('completed');
    const second = new Cancelable({ sources: [source] });
    const run = rejection(second.run((s) => s.sleep(60_000)));
    stale('old trigger from the first run: still ignored');
    expect(second.isCancelled).toBe(false);
    source.fireNow('via this.trigger');
    expect(((await run) as Error).message).toBe('via this.trigger');
  });

  it('trigger() called inside start(): the scope starts cancelled, the body still runs', async () => {
    class Immediate extends CancelationSource {
      start(trigger: (message?: string) => void): void {
        trigger('at once');
      }
      stop(): void {}
    }
    let ran = false;
    const error = await rejection(
      new Cancelable({ sources: [new Immediate()] }).run((s) => {
        ran = true;
        return s.sleep(1);
      }),
    );
    expect(ran).toBe(true);
    expect((error as Error).message).toBe('at once');
  });

  it('a custom source can be reused by a later scope once the first ended', async () => {
    const emitter = new EventEmitter();
    const source = new EventCancelSource(emitter, 'e');
    await new Cancelable({ sources: [source] }).run(() => undefined);
    const run = rejection(new Cancelable({ sources: [source] }).run((s) => s.sleep(60_000)));
    emitter.emit('e');
    await run;
    expect(source.calls).toEqual(['start', 'stop', 'start', 'stop']);
  });
});

describe('trigger({ reason, message })', () => {
  /** Relays a cancellation decided elsewhere, with the reason it was given there. */
  class RelaySource extends CancelationSource {
    fire: ((argument?: string | { reason?: CancelationInit['reason']; message?: string }) => void) | undefined;
    start(trigger: NonNullable<RelaySource['fire']>): void {
      this.fire = trigger;
    }
    stop(): void {
      this.fire = undefined;
    }
  }

  it('cancels with the reason given, not the source reason', async () => {
    const source = new RelaySource();
    const run = new Cancelable({ sources: [source] }).run((s) => s.sleep(10_000));
    source.fire?.({ reason: 'timeout', message: 'budget spent elsewhere' });
    const error = await rejection(run);
    expect(error).toMatchObject({ name: 'TimeoutCancelation', reason: 'timeout', message: 'budget spent elsewhere' });
  });

  it("without a reason, it is the source's own (and its message)", async () => {
    const source = new RelaySource();
    const run = new Cancelable({ sources: [source] }).run((s) => s.sleep(10_000));
    source.fire?.({ message: 'stop' });
    expect(await rejection(run)).toMatchObject({ name: 'ManualCancelation', message: 'stop' });
  });

  it('a bad reason still cancels, with the source reason, and is reported (a trigger never throws)', async () => {
    const source = new RelaySource();
    const scope = new Cancelable({ sources: [source] });
    const run = scope.run((s) => s.sleep(10_000));
    expect(() => source.fire?.({ reason: 'nope' as never, message: 'x' })).not.toThrow();
    expect(await rejection(run)).toMatchObject({ name: 'ManualCancelation' });
    expect(sourceErrors.messages).toHaveLength(1);
    expect(sourceErrors.messages[0]).toMatchObject({ phase: 'trigger', source });
    expect(String((sourceErrors.messages[0]!.error as Error).message)).toMatch(/trigger argument\.reason must be one of .*disconnect; got "nope"/);
  });
});

describe('failing sources', () => {
  it("a source whose start throws: run() fails with that error, the body never runs, earlier sources stop", async () => {
    const boom = new Error('cannot watch');
    const emitter = new EventEmitter();
    const before = new EventCancelSource(emitter, 'before');
    class Broken extends CancelationSource {
      stops = 0;
      start(): void {
        throw boom;
      }
      stop(): void {
        this.stops++;
      }
    }
    const broken = new Broken({ name: 'broken' });
    const scope = new Cancelable({ sources: [before, broken] });
    const log: string[] = [];
    scope.onError((_ctx, error) => void log.push(`onError:${(error as Error).message}`));
    let bodyRan = false;
    const error = await rejection(scope.run(() => void (bodyRan = true)));
    expect(error).toBe(boom);
    expect(bodyRan).toBe(false);
    expect(scope.status).toBe('failed');
    expect(log).toEqual(['onError:cannot watch']);
    expect(before.calls).toEqual(['start', 'stop']);
    expect(emitter.listenerCount('before')).toBe(0);
    expect(sourceErrors.messages.map((m) => [m.source, m.phase, m.error])).toEqual([[broken, 'start', boom]]);
    // Not left "in use": it was released (stop() called to free whatever start took) and can serve again.
    expect(broken.isActive).toBe(false);
    expect(broken.stops).toBe(1);
    const again = await rejection(new Cancelable({ sources: [broken] }).run(() => undefined));
    expect(again).toBe(boom);
  });

  it('a source whose stop throws: reported on cancelable:source-error, the outcome is unchanged', async () => {
    const boom = new Error('stop failed');
    class BadStop extends CancelationSource {
      start(): void {}
      stop(): void {
        throw boom;
      }
    }
    const source = new BadStop({ name: 'bad-stop' });
    const scope = new Cancelable({ sources: [source, new TimeoutSource(60_000)] });
    expect(await scope.run(() => 'value')).toBe('value');
    expect(scope.status).toBe('completed');
    expect(sourceErrors.messages.map((m) => [m.scope, m.source, m.phase, m.error])).toEqual([[scope, source, 'stop', boom]]);
    expect(source.isActive).toBe(false);
  });

  it('a failed start releases only the sources started before the failing one, not one another scope uses', async () => {
    const emitter = new EventEmitter();
    const shared = new EventCancelSource(emitter, 'shared');
    const holder = new Cancelable({ sources: [shared], name: 'holder' });
    const holderRun = rejection(holder.run((s) => s.race(new Promise(() => {}))));
    const boom = new Error('cannot start');
    class Broken extends CancelationSource {
      start(): void {
        throw boom;
      }
      stop(): void {}
    }
    // Its second source is never reached: releasing it would stop the holder's activation.
    const failing = new Cancelable({ sources: [new Broken({ name: 'broken' }), shared], name: 'failing' });
    expect(await rejection(failing.run(() => 'never runs'))).toBe(boom);
    expect(shared.isActive).toBe(true);
    expect(shared.calls).toEqual(['start']);
    emitter.emit('shared');
    const error = await holderRun;
    expect(error).toBe(holder.cancelError);
    expect((error as Error).message).toBe("Event 'shared' fired");
    expect(shared.calls).toEqual(['start', 'stop']);
  });

  it("a library source whose release throws (a clock's clearTimeout): reported as 'stop', the outcome unchanged", async () => {
    const boom = new Error('clearTimeout failed');
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const clock = {
      now: () => Date.now(),
      setTimeout<T>(callback: (arg: T) => void, ms: number, arg: T) {
        const handle = setTimeout(callback, ms, arg);
        timers.add(handle);
        return handle;
      },
      clearTimeout(): void {
        throw boom;
      },
    };
    try {
      const timeout = new TimeoutSource(60_000);
      const scope = new Cancelable({ sources: [timeout], clock });
      expect(await scope.run(() => 'value')).toBe('value');
      expect(scope.status).toBe('completed');
      expect(sourceErrors.messages.map((m) => [m.scope, m.source, m.phase, m.error])).toEqual([[scope, timeout, 'stop', boom]]);
    } finally {
      for (const handle of timers) clearTimeout(handle);
    }
  });

  it('the same custom source used by two running scopes: a clear TypeError for the second', async () => {
    const source = new EventCancelSource(new EventEmitter(), 'shared');
    const first = new Cancelable({ sources: [source], name: 'first' });
    let release!: () => void;
    const firstRun = first.run(() => new Promise<void>((resolve) => (release = resolve)));
    const second = new Cancelable({ sources: [source], name: 'second' });
    const error = await rejection(second.run(() => 'never runs'));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(
      "source 'event:shared' is already in use by another scope; a custom source serves one scope at a time",
    );
    expect(second.status).toBe('failed');
    // The first scope keeps its source.
    expect(source.isActive).toBe(true);
    expect(source.calls).toEqual(['start']);
    release();
    await firstRun;
    expect(source.calls).toEqual(['start', 'stop']);
  });
});

describe("built-in sources through the public start/stop", () => {
  it('TimeoutSource.start(trigger) fires after its timeout on the default clock; stop() disarms', () => {
    const clock = new ManualClock();
    const previous = setDefaultClock(clock);
    try {
      const fired: (string | undefined)[] = [];
      const source = new TimeoutSource(100);
      source.start((message) => void fired.push(message));
      expect(source.isActive).toBe(true);
      clock.advance(100);
      expect(fired).toEqual(['Operation timed out after 100ms']);
      source.stop();
      source.stop(); // idempotent
      source.start((message) => void fired.push(message));
      source.stop();
      clock.advance(1_000);
      expect(fired).toHaveLength(1);
      expect(clock.pending).toBe(0);
    } finally {
      setDefaultClock(previous);
    }
  });
});
