/**
 * The custom source contract, with the worked example of docs/sources.md: an EventEmitter event as
 * a cancellation source.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  AllOfSource,
  AnyOfSource,
  Cancelable,
  CancelationSource,
  ConditionCancelation,
  ManualCancelation,
  TimeoutSource,
  type TimeoutCancelation,
  type CancelationReason,
} from '../../src/index.js';
import { ManualClock, rejection } from './clock.js';

// ---- the worked example (kept identical to docs/sources.md) ----------------------------------
/** Cancels the scope when `emitter` emits `event`. */
class EventSource extends CancelationSource {
  readonly #emitter: EventEmitter;
  readonly #event: string;
  #listener: (() => void) | undefined;

  constructor(emitter: EventEmitter, event: string, options?: { reason?: CancelationReason }) {
    super({ name: `event:${event}`, reason: options?.reason });
    this.#emitter = emitter;
    this.#event = event;
  }

  start(trigger: (message?: string) => void): void {
    this.#listener = () => trigger(`Event '${this.#event}' was emitted`);
    this.#emitter.once(this.#event, this.#listener);
  }

  stop(): void {
    if (this.#listener === undefined) return; // idempotent
    this.#emitter.off(this.#event, this.#listener);
    this.#listener = undefined;
  }
}
// -------------------------------------------------------------------------------------------------

describe('custom sources: an EventEmitter event', () => {
  it('cancels the scope with its reason and message when the event is emitted', async () => {
    const jobs = new EventEmitter();
    const source = new EventSource(jobs, 'abort');
    const scope = new Cancelable({ name: 'job', sources: [source] });
    const run = rejection(
      scope.run(async (s) => {
        expect(jobs.listenerCount('abort')).toBe(1);
        expect(source.isActive).toBe(true);
        jobs.emit('abort');
        await s.sleep(60_000);
      }),
    );
    const error = await run;
    expect(error).toBeInstanceOf(ManualCancelation);
    expect(error.message).toBe("Event 'abort' was emitted");
    expect(jobs.listenerCount('abort')).toBe(0);
    expect(source.isActive).toBe(false);
    expect(source.name).toBe('event:abort');
  });

  it('releases the listener when the scope ends without the event, and can serve the next scope', async () => {
    const emitter = new EventEmitter();
    const source = new EventSource(emitter, 'stop', { reason: 'condition' });
    await new Cancelable({ sources: [source] }).run(() => 'done');
    expect(emitter.listenerCount('stop')).toBe(0);
    const scope = new Cancelable({ sources: [source] });
    const run = rejection(scope.run((s) => s.sleep(60_000)));
    emitter.emit('stop');
    const error = await run;
    expect(error).toBeInstanceOf(ConditionCancelation);
    expect(emitter.listenerCount('stop')).toBe(0);
  });

  it('stop() is idempotent and an emit after it does nothing', () => {
    const emitter = new EventEmitter();
    const source = new EventSource(emitter, 'x');
    const messages: (string | undefined)[] = [];
    source.start((message) => messages.push(message));
    source.stop();
    source.stop();
    emitter.emit('x');
    expect(messages).toEqual([]);
    expect(emitter.listenerCount('x')).toBe(0);
  });

  it('works inside any-of and all-of, next to built-in sources', async () => {
    const clock = new ManualClock();
    const emitter = new EventEmitter();
    const any = new Cancelable({
      clock,
      sources: [new AnyOfSource([new TimeoutSource(60_000), new EventSource(emitter, 'quit')])],
    });
    const anyRun = rejection(any.run((s) => s.sleep(120_000)));
    emitter.emit('quit');
    expect((await anyRun).message).toBe("Event 'quit' was emitted");

    const all = new Cancelable({
      clock,
      sources: [new AllOfSource([new TimeoutSource(1_000), new EventSource(emitter, 'drained')])],
    });
    const allRun = rejection(all.run((s) => s.sleep(120_000)));
    emitter.emit('drained');
    expect(all.isCancelled).toBe(false);
    clock.advance(1_000);
    const error = await allRun;
    expect(error.message).toBe('All 2 sources have triggered');
    expect((error as TimeoutCancelation).reason).toBe('timeout');
    expect(emitter.listenerCount('quit') + emitter.listenerCount('drained')).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('serves one scope at a time: a second concurrent scope fails to start with a clear error', async () => {
    const emitter = new EventEmitter();
    const source = new EventSource(emitter, 'e');
    let release!: () => void;
    const first = new Cancelable({ sources: [source] }).run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(new Cancelable({ sources: [source] }).run(() => 'x')).rejects.toThrow(
      "source 'event:e' is already in use by another scope",
    );
    release();
    await first;
    expect(emitter.listenerCount('e')).toBe(0);
  });
});
