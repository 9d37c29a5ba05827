/**
 * Every diagnostics channel fires once where it should, with the documented payload; nothing is
 * published when nobody listens.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  CancelationSource,
  CancelationToken,
  ManualCancelation,
  ParentCancelation,
  TimeoutCancelation,
  TimeoutSource,
  TokenSource,
  channelNames,
} from '../../src/index.js';
import { channels, subscribeDiagnostics } from '../../src/core/diagnostics.js';
import { ManualClock } from '../../src/testing/index.js';

type Captured = { channel: string; message: Record<string, unknown> };

/** Subscribes to every cancelable:* channel; returns the captured messages and an unsubscribe. */
function capture(): { events: Captured[]; of: (name: string) => Record<string, unknown>[]; off: () => void } {
  const events: Captured[] = [];
  const listeners = Object.values(channelNames).map((name) => {
    const listener = (message: unknown): void => {
      events.push({ channel: name, message: message as Record<string, unknown> });
    };
    diagnosticsChannel.subscribe(name, listener);
    return [name, listener] as const;
  });
  return {
    events,
    of: (name) => events.filter((event) => event.channel === name).map((event) => event.message),
    off: () => {
      for (const [name, listener] of listeners) diagnosticsChannel.unsubscribe(name, listener);
    },
  };
}

let active: ReturnType<typeof capture> | undefined;
function start(): ReturnType<typeof capture> {
  active = capture();
  return active;
}
afterEach(() => {
  active?.off();
  active = undefined;
});

describe('diagnostics channels', () => {
  it('names the seven channels', () => {
    expect(channelNames).toEqual({
      start: 'cancelable:start',
      progress: 'cancelable:progress',
      cancel: 'cancelable:cancel',
      end: 'cancelable:end',
      callbackError: 'cancelable:callback-error',
      sourceError: 'cancelable:source-error',
      abandoned: 'cancelable:abandoned',
    });
  });

  it('start, progress and end of a completed run, in order, with the duration on the scope clock', async () => {
    const cap = start();
    const clock = new ManualClock({ now: 1_000 });
    const scope = new Cancelable({ name: 'job', clock });
    const run = scope.run(async (s) => {
      s.reportProgress('half', { done: 50 });
      await s.sleep(40);
      return 'value';
    });
    await clock.advance(40);
    await expect(run).resolves.toBe('value');
    expect(cap.events.map((event) => event.channel)).toEqual([
      'cancelable:start',
      'cancelable:progress',
      'cancelable:end',
    ]);
    expect(cap.of('cancelable:start')).toEqual([{ scope }]);
    expect(cap.of('cancelable:progress')).toEqual([{ scope, message: 'half', metadata: { done: 50 } }]);
    // A completed run has no error (the body's value is not published as one).
    expect(cap.of('cancelable:end')).toEqual([{ scope, status: 'completed', durationMs: 40, error: undefined }]);
  });

  it('cancel from a timeout: reason, message, the source that fired, the error run() rejects with', async () => {
    const cap = start();
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(100, { clock, name: 'slow' });
    const run = scope.run((s) => s.sleep(1_000)).catch((error: unknown) => error);
    await clock.advance(100);
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    const [cancel] = cap.of('cancelable:cancel');
    expect(cancel).toEqual({
      scope,
      reason: 'timeout',
      message: 'Operation timed out after 100ms',
      source: scope.sources[0],
      error,
    });
    expect(cancel?.source).toBeInstanceOf(TimeoutSource);
    expect(cap.of('cancelable:end')).toEqual([{ scope, status: 'cancelled', durationMs: 100, error }]);
  });

  it('cancel from scope.cancel() has no source; from a token, the token source', async () => {
    const cap = start();
    const manual = new Cancelable({ name: 'manual' });
    const manualRun = manual.run(async (s) => {
      s.cancel('stop');
      await s.sleep(10);
    });
    await expect(manualRun).rejects.toBeInstanceOf(ManualCancelation);
    const token = new CancelationToken();
    const byToken = Cancelable.withToken(token, { name: 'token' });
    const tokenRun = byToken.run(async (s) => {
      await token.cancel('from token');
      await s.sleep(10);
    });
    await expect(tokenRun).rejects.toBeInstanceOf(ManualCancelation);
    const cancels = cap.of('cancelable:cancel');
    expect(cancels).toHaveLength(2);
    expect(cancels[0]).toMatchObject({ scope: manual, reason: 'manual', message: 'stop', source: undefined });
    expect(cancels[1]).toMatchObject({ scope: byToken, reason: 'manual', message: 'from token' });
    expect(cancels[1]?.source).toBeInstanceOf(TokenSource);
  });

  it('a parent cancellation publishes one cancel per scope, the child with reason parent', async () => {
    const cap = start();
    const parent = new Cancelable({ name: 'parent' });
    let child: Cancelable | undefined;
    const run = parent.run(async (p) => {
      child = new Cancelable({ name: 'child' });
      await child.run(async (c) => {
        p.cancel('stop all');
        await c.sleep(10);
      });
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    const cancels = cap.of('cancelable:cancel');
    expect(cancels.map((c) => [(c.scope as Cancelable).name, c.reason])).toEqual([
      ['parent', 'manual'],
      ['child', 'parent'],
    ]);
    expect(cancels[1]?.error).toBeInstanceOf(ParentCancelation);
    expect(cancels[1]?.source).toBeUndefined();
    const ends = cap.of('cancelable:end');
    expect(ends.map((e) => [(e.scope as Cancelable).name, e.status])).toEqual([
      ['child', 'cancelled'],
      ['parent', 'cancelled'],
    ]);
  });

  it('end of a failed run carries the failure', async () => {
    const cap = start();
    const scope = new Cancelable({ name: 'boom' });
    const failure = new Error('boom');
    await expect(scope.run(() => Promise.reject(failure))).rejects.toBe(failure);
    expect(cap.of('cancelable:end')).toEqual([{ scope, status: 'failed', durationMs: expect.any(Number), error: failure }]);
  });

  it('callback-error names the callback, and the run is unaffected', async () => {
    const cap = start();
    const failure = new Error('callback broke');
    const scope = new Cancelable({ name: 'cb' })
      .onStart(() => {
        throw failure;
      })
      .onComplete(async () => {
        await Promise.resolve();
        throw failure;
      });
    await expect(scope.run(() => 42)).resolves.toBe(42);
    expect(cap.of('cancelable:callback-error')).toEqual([
      { scope, callback: 'onStart', error: failure },
      { scope, callback: 'onComplete', error: failure },
    ]);
  });

  it('callback-error of a token callback has no scope', async () => {
    const cap = start();
    const token = new CancelationToken();
    const failure = new Error('listener broke');
    token.onCancel(() => {
      throw failure;
    });
    await token.cancel();
    expect(cap.of('cancelable:callback-error')).toEqual([{ scope: undefined, callback: 'token.onCancel', error: failure }]);
  });

  it('source-error for a source that fails to start, and one that fails to stop', async () => {
    const cap = start();
    const startFailure = new Error('cannot start');
    const stopFailure = new Error('cannot stop');
    class BrokenStart extends CancelationSource {
      start(): void {
        throw startFailure;
      }
      stop(): void {}
    }
    class BrokenStop extends CancelationSource {
      start(): void {}
      stop(): void {
        throw stopFailure;
      }
    }
    const broken = new BrokenStart({ name: 'broken-start' });
    const first = new Cancelable({ sources: [broken] });
    await expect(first.run(() => 1)).rejects.toBe(startFailure);
    const leaky = new BrokenStop({ name: 'broken-stop' });
    const second = new Cancelable({ sources: [leaky] });
    await expect(second.run(() => 2)).resolves.toBe(2);
    expect(cap.of('cancelable:source-error')).toEqual([
      { scope: first, source: broken, phase: 'start', error: startFailure },
      { scope: second, source: leaky, phase: 'stop', error: stopFailure },
    ]);
  });

  it('abandoned: once when the grace period expires (pending), again when the body settles late', async () => {
    const cap = start();
    const clock = new ManualClock();
    let finishBody!: (value: string) => void;
    const scope = Cancelable.withTimeout(100, { clock, graceMs: 50, name: 'stubborn' });
    const run = scope
      .run(() => new Promise<string>((resolve) => (finishBody = resolve))) // ignores cancellation
      .catch((error: unknown) => error);
    await clock.advance(100);
    expect(cap.of('cancelable:abandoned')).toEqual([]);
    await clock.advance(50);
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(cap.of('cancelable:abandoned')).toEqual([{ scope, outcome: 'pending', value: undefined, graceMs: 50 }]);
    expect(cap.of('cancelable:end')).toEqual([{ scope, status: 'cancelled', durationMs: 150, error }]);
    finishBody('too late');
    await Promise.resolve();
    await Promise.resolve();
    expect(cap.of('cancelable:abandoned')).toEqual([
      { scope, outcome: 'pending', value: undefined, graceMs: 50 },
      { scope, outcome: 'fulfilled', value: 'too late', graceMs: 50 },
    ]);
  });

  it('abandoned body that rejects late is published as rejected (never an unhandled rejection)', async () => {
    const cap = start();
    const clock = new ManualClock();
    let failBody!: (error: Error) => void;
    const scope = Cancelable.withTimeout(10, { clock, graceMs: 0 });
    const run = scope.run(() => new Promise<never>((_resolve, reject) => (failBody = reject))).catch((e: unknown) => e);
    await clock.advance(10);
    await run;
    const late = new Error('late failure');
    failBody(late);
    await new Promise((resolve) => setImmediate(resolve));
    expect(cap.of('cancelable:abandoned').map((event) => [event.outcome, event.value])).toEqual([
      ['pending', undefined],
      ['rejected', late],
    ]);
  });
});

describe('publishing when nobody subscribes', () => {
  it('never calls publish (the only cost is one hasSubscribers check per event)', async () => {
    for (const channel of Object.values(channels)) expect(channel.hasSubscribers).toBe(false);
    const spies = Object.values(channels).map((channel) => vi.spyOn(channel, 'publish'));
    try {
      const clock = new ManualClock();
      const timed = Cancelable.withTimeout(10, { clock, graceMs: 5 })
        .onComplete(() => {
          throw new Error('x');
        })
        .run(() => new Promise<void>(() => {}))
        .catch(() => undefined);
      await clock.advance(20);
      await timed;
      await new Cancelable().run((s) => s.reportProgress('p'));
      await new Cancelable().onStart(() => {
        throw new Error('y');
      }).run(() => 1);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe('subscribeDiagnostics', () => {
  it('subscribes typed handlers and unsubscribes them all', async () => {
    const seen: string[] = [];
    const off = subscribeDiagnostics({
      start: ({ scope }) => seen.push(`start ${scope.name}`),
      cancel: ({ scope, reason }) => seen.push(`cancel ${scope.name} ${reason}`),
      end: ({ scope, status }) => seen.push(`end ${scope.name} ${status}`),
    });
    try {
      expect(channels.start.hasSubscribers).toBe(true);
      expect(channels.progress.hasSubscribers).toBe(false);
      await new Cancelable({ name: 'a' })
        .run(async (s) => {
          s.cancel();
          await s.sleep(1);
        })
        .catch(() => undefined);
    } finally {
      off();
      off(); // idempotent
    }
    expect(seen).toEqual(['start a', 'cancel a manual', 'end a cancelled']);
    for (const channel of Object.values(channels)) expect(channel.hasSubscribers).toBe(false);
  });

  it('rejects bad handlers with clear errors', () => {
    expect(() => subscribeDiagnostics(null as never)).toThrow(TypeError);
    expect(() => subscribeDiagnostics({ stop: () => {} } as never)).toThrow(/handlers\.stop is not a diagnostics channel/);
    expect(() => subscribeDiagnostics({ end: 'no' } as never)).toThrow(/handlers\.end must be a function, got "no"/);
    for (const channel of Object.values(channels)) expect(channel.hasSubscribers).toBe(false);
  });
});
