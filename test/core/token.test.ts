/**
 * SPEC §5: the CancelationToken API, one token driving many scopes, and the scope's own token.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  channelNames,
  ManualCancelation,
  TimeoutCancelation,
  TokenSource,
} from '../../src/index.js';
import { listen, rejection } from './helpers.js';
import { flush } from './manual-clock.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('CancelationToken', () => {
  it('starts uncancelled, with a unique UUID id', () => {
    const token = new CancelationToken();
    expect(token.isCancelled).toBe(false);
    expect(token.reason).toBeUndefined();
    expect(token.message).toBeUndefined();
    expect(token.cancelledAt).toBeUndefined();
    expect(token.error).toBeUndefined();
    expect(token.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(token.id).toBe(token.id);
    expect(new CancelationToken().id).not.toBe(token.id);
    expect(() => token.throwIfCancelled()).not.toThrow();
  });

  it('cancel() resolves true the first time, false afterwards; the first reason and message win', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const token = new CancelationToken();
    await expect(token.cancel({ reason: 'timeout', message: 'first' })).resolves.toBe(true);
    vi.setSystemTime(2_000_000);
    await expect(token.cancel('second')).resolves.toBe(false);
    expect(token.cancelSync('third')).toBe(false);
    expect(token.isCancelled).toBe(true);
    expect(token.reason).toBe('timeout');
    expect(token.message).toBe('first');
    expect(token.cancelledAt).toBe(1_000_000);
    expect(token.error).toBeInstanceOf(TimeoutCancelation);
    expect(token.error?.message).toBe('first');
    expect(() => token.throwIfCancelled()).toThrow(token.error!);
  });

  it('cancel() with no argument is manual with no message', async () => {
    const token = new CancelationToken();
    await token.cancel();
    expect(token.reason).toBe('manual');
    expect(token.message).toBeUndefined();
    expect(token.error).toBeInstanceOf(ManualCancelation);
  });

  it('cancelSync() returns a boolean at once', () => {
    const token = new CancelationToken();
    const seen: string[] = [];
    token.onCancel(() => void seen.push('callback'));
    expect(token.cancelSync('now')).toBe(true);
    expect(seen).toEqual(['callback']);
    expect(token.message).toBe('now');
    expect(token.cancelSync()).toBe(false);
  });

  it('cancel() resolves after async callbacks ran; cancelSync does not wait for them', async () => {
    const token = new CancelationToken();
    const seen: string[] = [];
    token.onCancel(async () => {
      await flush(2);
      seen.push('async callback done');
    });
    token.onCancel(() => void seen.push('sync callback'));
    await token.cancel();
    seen.push('cancel resolved');
    expect(seen).toEqual(['sync callback', 'async callback done', 'cancel resolved']);

    const other = new CancelationToken();
    const order: string[] = [];
    other.onCancel(async () => {
      await flush(1);
      order.push('async callback done');
    });
    other.cancelSync();
    order.push('cancelSync returned');
    await flush(3);
    expect(order).toEqual(['cancelSync returned', 'async callback done']);
  });

  it('signal: lazy, aborted with the token error (before or after reading it)', async () => {
    const early = new CancelationToken();
    const signal = early.signal;
    expect(signal.aborted).toBe(false);
    expect(early.signal).toBe(signal);
    await early.cancel('x');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(early.error);

    const late = new CancelationToken();
    late.cancelSync('y');
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe(late.error);
  });

  it('waitForCancel() resolves with the error; one shared promise; immediate when already cancelled', async () => {
    const token = new CancelationToken();
    const first = token.waitForCancel();
    expect(token.waitForCancel()).toBe(first);
    let resolved = false;
    void first.then(() => (resolved = true));
    await flush(1);
    expect(resolved).toBe(false);
    token.cancelSync('go');
    await expect(first).resolves.toBe(token.error);

    const done = new CancelationToken();
    done.cancelSync();
    await expect(done.waitForCancel()).resolves.toBe(done.error);
  });

  it('onCancel: runs with the error, unsubscribes, runs at once when already cancelled', () => {
    const token = new CancelationToken();
    const seen: unknown[] = [];
    const off = token.onCancel((error) => void seen.push(['kept', error]));
    const offRemoved = token.onCancel(() => void seen.push('removed'));
    expect(token.listenerCount).toBe(2);
    offRemoved();
    offRemoved(); // idempotent
    expect(token.listenerCount).toBe(1);
    token.cancelSync();
    expect(seen).toEqual([['kept', token.error]]);
    expect(token.listenerCount).toBe(0);
    off(); // after the fact: harmless
    token.onCancel((error) => void seen.push(['late', error]));
    expect(seen).toEqual([
      ['kept', token.error],
      ['late', token.error],
    ]);
  });

  it('a throwing or rejecting callback is reported and never stops the others', async () => {
    const errors = listen<{ callback: string; error: unknown }>(channelNames.callbackError);
    try {
      const token = new CancelationToken();
      const boom = new Error('sync boom');
      const asyncBoom = new Error('async boom');
      const seen: string[] = [];
      token.onCancel(() => {
        throw boom;
      });
      token.onCancel(() => Promise.reject(asyncBoom));
      token.onCancel(() => void seen.push('third ran'));
      await expect(token.cancel()).resolves.toBe(true);
      expect(seen).toEqual(['third ran']);
      expect(errors.messages.map((m) => [m.callback, m.error])).toEqual([
        ['token.onCancel', boom],
        ['token.onCancel', asyncBoom],
      ]);
    } finally {
      errors.stop();
    }
  });
});

describe('tokens and scopes', () => {
  it('one token drives many scopes; each gets the token reason and message', async () => {
    const token = new CancelationToken();
    const scopes = Array.from({ length: 5 }, (_, i) => Cancelable.withToken(token, { name: `s${i}` }));
    const outcomes = scopes.map((scope) => rejection(scope.run((s) => s.sleep(60_000))));
    expect(token.listenerCount).toBe(5);
    await token.cancel('stop them all');
    const errors = await Promise.all(outcomes);
    for (const [i, error] of errors.entries()) {
      expect(error).toBeInstanceOf(ManualCancelation);
      expect((error as Error).message).toBe('stop them all');
      expect((error as ManualCancelation).operationId).toBe(scopes[i]!.id);
      expect(scopes[i]!.status).toBe('cancelled');
    }
    expect(token.listenerCount).toBe(0);
  });

  it('a scope never cancels the token it listens to, and unsubscribes when it ends', async () => {
    const token = new CancelationToken();
    const scope = Cancelable.withToken(token);
    await rejection(
      scope.run(async (s) => {
        s.cancel('scope only');
        await s.sleep(1);
      }),
    );
    expect(token.isCancelled).toBe(false);
    expect(token.listenerCount).toBe(0);
    await Cancelable.withToken(token).run(() => 'done');
    expect(token.listenerCount).toBe(0);
  });

  it('a token cancelled after the scope ended changes nothing', async () => {
    const token = new CancelationToken();
    const scope = Cancelable.withToken(token);
    await scope.run(() => undefined);
    token.cancelSync();
    expect(scope.status).toBe('completed');
    expect(scope.isCancelled).toBe(false);
  });

  it('TokenSource: the same token in several sources of one scope fires once', async () => {
    const token = new CancelationToken();
    const scope = new Cancelable({ sources: [new TokenSource(token), new TokenSource(token)] });
    const seen: string[] = [];
    scope.onCancel(() => void seen.push('cancel'));
    const outcome = rejection(scope.run((s) => s.sleep(60_000)));
    token.cancelSync('once');
    expect(await outcome).toBe(scope.cancelError);
    expect(seen).toEqual(['cancel']);
  });
});

describe("the scope's own token", () => {
  it('is created lazily, one per scope; cancelling it cancels the scope', async () => {
    const scope = new Cancelable();
    const token = scope.token;
    expect(scope.token).toBe(token);
    expect(new Cancelable().token).not.toBe(token);
    const outcome = rejection(scope.run((s) => s.sleep(60_000)));
    await expect(token.cancel('via own token')).resolves.toBe(true);
    const error = await outcome;
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe('via own token');
    expect(token.listenerCount).toBe(0);
  });

  it('read while running, it still cancels the scope', async () => {
    const scope = new Cancelable();
    const error = await rejection(
      scope.run(async (s) => {
        const pending = s.sleep(60_000);
        s.token.cancelSync({ reason: 'timeout', message: 'late token' });
        await pending;
      }),
    );
    expect(error).toBeInstanceOf(TimeoutCancelation);
  });

  it('is one-way: scope.cancel() and every other source leave it uncancelled', async () => {
    const scope = new Cancelable();
    const token = scope.token;
    await rejection(
      scope.run(async (s) => {
        s.cancel('from the scope');
        await s.sleep(1);
      }),
    );
    expect(scope.status).toBe('cancelled');
    expect(token.isCancelled).toBe(false);
    expect(token.listenerCount).toBe(0);
  });

  it("is named 'scope-token' where the cancellation is reported (cancelable:cancel)", async () => {
    const cancels = listen<{ scope: Cancelable; source: { name: string } | undefined }>(channelNames.cancel);
    try {
      const scope = new Cancelable();
      const run = rejection(scope.run((s) => s.sleep(60_000)));
      scope.token.cancelSync('through the own token');
      await run;
      expect(cancels.messages.filter((m) => m.scope === scope).map((m) => m.source?.name)).toEqual(['scope-token']);
    } finally {
      cancels.stop();
    }
  });

  it('cancelled before start: the scope starts cancelled', async () => {
    const scope = new Cancelable();
    scope.token.cancelSync('before start');
    const error = await rejection(scope.run((s) => s.sleep(1)));
    expect((error as Error).message).toBe('before start');
  });
});
