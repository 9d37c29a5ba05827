/**
 * SPEC §3 "Errors": the error classes, which reason produces which class, and `isCancelation`.
 */
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { setTimeout as nodeDelay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  AbortSignalSource,
  Cancelable,
  CancelationError,
  CancelationToken,
  ConditionCancelation,
  DeadlineSource,
  DisconnectCancelation,
  isCancelation,
  isCancelationError,
  ManualCancelation,
  ParentCancelation,
  SignalCancelation,
  TimeoutCancelation,
  type CancelationReason,
} from '../../src/index.js';
import { rejection } from './helpers.js';
import { ManualClock } from './manual-clock.js';

describe('error classes', () => {
  const cases: [CancelationError, string, CancelationReason, string][] = [
    [new CancelationError('manual'), 'CancelationError', 'manual', 'Operation cancelled (manual)'],
    [new TimeoutCancelation(undefined, { timeoutMs: 250 }), 'TimeoutCancelation', 'timeout', 'Operation timed out after 250ms'],
    [new ManualCancelation(), 'ManualCancelation', 'manual', 'Operation cancelled manually'],
    [new SignalCancelation(undefined, { signal: 'SIGINT' }), 'SignalCancelation', 'signal', 'Received signal SIGINT'],
    [new ConditionCancelation(undefined, { conditionName: 'disk' }), 'ConditionCancelation', 'condition', "Condition 'disk' met"],
    [new ParentCancelation(), 'ParentCancelation', 'parent', 'Parent operation was cancelled'],
    [new DisconnectCancelation(), 'DisconnectCancelation', 'disconnect', 'The client disconnected'],
  ];

  it.each(cases)('%s: name, reason, default message, Error semantics', (error, name, reason, message) => {
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CancelationError);
    expect(error.name).toBe(name);
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(message);
    expect(String(error)).toBe(`${name}: ${message}`);
    expect(error.stack).toContain(name);
    expect(isCancelationError(error)).toBe(true);
    expect(isCancelation(error)).toBe(true);
  });

  it('reason-specific fields, operationId and cause', () => {
    const root = new Error('root');
    const timeout = new TimeoutCancelation('t', { timeoutMs: 5, operationId: 'op-1', cause: root });
    expect([timeout.timeoutMs, timeout.operationId, timeout.cause, timeout.message]).toEqual([5, 'op-1', root, 't']);
    expect(new SignalCancelation('s', { signal: 'SIGTERM' }).signal).toBe('SIGTERM');
    expect(new ConditionCancelation('c', { conditionName: 'flag' }).conditionName).toBe('flag');
    const parent = new ParentCancelation('p', { parentId: 'parent-1', parentReason: 'timeout', cause: timeout });
    expect([parent.parentId, parent.parentReason, parent.cause]).toEqual(['parent-1', 'timeout', timeout]);
    // No cause given: no own `cause` property at all (like a plain Error).
    expect(Object.hasOwn(new ManualCancelation('m'), 'cause')).toBe(false);
  });
});

describe('each reason raises its class from a real scope', () => {
  it('timeout -> TimeoutCancelation with timeoutMs; the message names the duration', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(300, { clock });
    const outcome = rejection(scope.run((s) => s.sleep(1_000)));
    clock.advance(300);
    const error = (await outcome) as TimeoutCancelation;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error.timeoutMs).toBe(300);
    expect(error.message).toBe('Operation timed out after 300ms');
    expect(error.operationId).toBe(scope.id);
  });

  it('deadline -> TimeoutCancelation whose timeoutMs is the time from the start of the run', async () => {
    const clock = new ManualClock();
    const deadline = new Date(clock.now() + 1_000);
    const scope = new Cancelable({ clock, sources: [new DeadlineSource(deadline)] });
    clock.advance(400); // construction is not the start
    const outcome = rejection(scope.run((s) => s.sleep(10_000)));
    clock.advance(599);
    expect(scope.isCancelled).toBe(false);
    clock.advance(1);
    const error = (await outcome) as TimeoutCancelation;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error.timeoutMs).toBe(600);
    expect(error.message).toBe(`Deadline ${deadline.toISOString()} reached`);
  });

  it('manual: cancel() and token.cancel() keep the message given', async () => {
    const scope = new Cancelable();
    const error = await rejection(
      scope.run(async (s) => {
        s.cancel('User clicked cancel');
        await s.sleep(1);
      }),
    );
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe('User clicked cancel');

    const token = new CancelationToken();
    const byToken = rejection(Cancelable.withToken(token).run((s) => s.sleep(60_000)));
    await token.cancel('stop from token');
    const tokenError = await byToken;
    expect(tokenError).toBeInstanceOf(ManualCancelation);
    expect((tokenError as Error).message).toBe('stop from token');
  });

  it('a token or cancel() with another reason raises that reason', async () => {
    const token = new CancelationToken();
    const outcome = rejection(Cancelable.withToken(token).run((s) => s.sleep(60_000)));
    token.cancelSync({ reason: 'signal', message: 'forwarded SIGTERM' });
    expect(await outcome).toBeInstanceOf(SignalCancelation);

    const scope = new Cancelable();
    const conditionError = await rejection(
      scope.run(async (s) => {
        s.cancel({ reason: 'condition' });
        await s.sleep(1);
      }),
    );
    expect(conditionError).toBeInstanceOf(ConditionCancelation);
  });

  it('disconnect -> DisconnectCancelation, from cancel() and from a token', async () => {
    const scope = new Cancelable();
    const run = scope.run((s) => s.sleep(10_000));
    scope.cancel({ reason: 'disconnect', message: 'client went away' });
    const error = await rejection(run);
    expect(error).toBeInstanceOf(DisconnectCancelation);
    expect(error).toMatchObject({ reason: 'disconnect', message: 'client went away', operationId: scope.id });
    const token = new CancelationToken();
    token.cancelSync({ reason: 'disconnect' });
    expect(token.error).toBeInstanceOf(DisconnectCancelation);
  });

  it('parent -> ParentCancelation with parentId, parentReason and the parent error as cause', async () => {
    const parent = new Cancelable({ name: 'p' });
    let childError: unknown;
    await rejection(
      parent.run(async (p) => {
        const child = new Cancelable({ name: 'c' });
        const outcome = rejection(child.run((c) => c.sleep(60_000)));
        p.cancel({ reason: 'timeout', message: 'parent budget' });
        childError = await outcome;
        p.throwIfCancelled();
      }),
    );
    const error = childError as ParentCancelation;
    expect(error).toBeInstanceOf(ParentCancelation);
    expect(error.parentId).toBe(parent.id);
    expect(error.parentReason).toBe('timeout');
    expect(error.cause).toBe(parent.cancelError);
    expect(error.message).toBe("Parent 'p' was cancelled: parent budget");
  });
});

describe('isCancelation', () => {
  it('recognises native AbortError and TimeoutError DOMExceptions', () => {
    expect(isCancelation(new DOMException('stop', 'AbortError'))).toBe(true);
    expect(isCancelation(new DOMException('late', 'TimeoutError'))).toBe(true);
    expect(isCancelation(AbortSignal.abort().reason)).toBe(true);
    expect(isCancelation(new DOMException('nope', 'NotFoundError'))).toBe(false);
    expect(isCancelationError(new DOMException('stop', 'AbortError'))).toBe(false);
  });

  it("recognises Node's AbortError wrapping our reason (timers/promises with scope.signal)", async () => {
    const scope = new Cancelable();
    let caught: unknown;
    await rejection(
      scope.run(async (s) => {
        const pending = nodeDelay(60_000, 'never', { signal: s.signal });
        s.cancel('stop the timer');
        try {
          await pending;
        } catch (error) {
          caught = error;
          throw error;
        }
      }),
    );
    expect(caught).not.toBe(scope.cancelError);
    expect((caught as Error).name).toBe('AbortError');
    expect((caught as Error).cause).toBe(scope.cancelError);
    expect(isCancelation(caught)).toBe(true);
    expect(isCancelationError(caught)).toBe(false);
  });

  it("recognises events.once's AbortError with scope.signal", async () => {
    const scope = new Cancelable();
    let caught: unknown;
    await rejection(
      scope.run(async (s) => {
        const pending = once(new EventEmitter(), 'never', { signal: s.signal });
        s.cancel();
        caught = await rejection(pending);
        throw caught;
      }),
    );
    expect(isCancelation(caught)).toBe(true);
  });

  it('recognises a fetch-like rejection with the reason itself', async () => {
    const scope = new Cancelable();
    const fetchLike = (signal: AbortSignal): Promise<never> =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    const error = await rejection(
      scope.run(async (s) => {
        const pending = fetchLike(s.signal);
        s.cancel();
        await pending;
      }),
    );
    expect(error).toBe(scope.cancelError);
    expect(isCancelation(error)).toBe(true);
  });

  it('follows cause chains, and stops on cyclic ones', () => {
    const ours = new ManualCancelation('deep');
    expect(isCancelation(new Error('a', { cause: new Error('b', { cause: ours }) }))).toBe(true);
    expect(isCancelation(new Error('a', { cause: new DOMException('x', 'AbortError') }))).toBe(true);

    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isCancelation(a)).toBe(false); // terminates
    const c = new Error('c', { cause: ours });
    const d = new Error('d', { cause: c });
    ours.cause = d; // a cycle that holds a cancellation
    expect(isCancelation(d)).toBe(true);
    const self = new Error('self');
    self.cause = self;
    expect(isCancelation(self)).toBe(false);
  });

  it('is false for everything else', () => {
    for (const value of [undefined, null, 0, '', 'AbortError', new Error('x'), new TypeError('y'), {}, { cause: 'AbortError' }]) {
      expect(isCancelation(value)).toBe(false);
    }
  });

  it('recognises errors of another copy of the library (shared brand)', () => {
    const foreign = Object.defineProperty(new Error('from another copy'), Symbol.for('cancelable.CancelationError'), {
      value: true,
    });
    expect(isCancelationError(foreign)).toBe(true);
    expect(isCancelation(foreign)).toBe(true);
  });
});

describe('AbortSignalSource: reasons of a foreign signal', () => {
  async function cancelledBy(reason: unknown): Promise<CancelationError> {
    const controller = new AbortController();
    const scope = new Cancelable({ sources: [new AbortSignalSource(controller.signal)] });
    const outcome = rejection(scope.run((s) => s.sleep(60_000)));
    controller.abort(reason);
    return (await outcome) as CancelationError;
  }

  it('one of our errors keeps its class, reason, fields and message; the original is the cause', async () => {
    const original = new SignalCancelation('got SIGTERM upstream', { signal: 'SIGTERM', operationId: 'upstream' });
    const error = await cancelledBy(original);
    expect(error).toBeInstanceOf(SignalCancelation);
    expect(error.reason).toBe('signal');
    expect((error as SignalCancelation).signal).toBe('SIGTERM');
    expect(error.message).toBe('got SIGTERM upstream');
    expect(error.cause).toBe(original);
    expect(error.operationId).not.toBe('upstream');

    const timeout = await cancelledBy(new TimeoutCancelation(undefined, { timeoutMs: 77 }));
    expect((timeout as TimeoutCancelation).timeoutMs).toBe(77);
    const parent = await cancelledBy(new ParentCancelation('p', { parentId: 'x', parentReason: 'condition' }));
    expect(parent).toBeInstanceOf(ParentCancelation);
    expect((parent as ParentCancelation).parentReason).toBe('condition');
  });

  it('a TimeoutError is a timeout; anything else is manual', async () => {
    const timeout = await cancelledBy(new DOMException('signal timed out', 'TimeoutError'));
    expect(timeout).toBeInstanceOf(TimeoutCancelation);
    expect(timeout.message).toBe('signal timed out');
    const plain = await cancelledBy(undefined); // abort() default: an AbortError DOMException
    expect(plain).toBeInstanceOf(ManualCancelation);
    expect((plain.cause as Error).name).toBe('AbortError');
    const text = await cancelledBy('shutting down');
    expect(text).toBeInstanceOf(ManualCancelation);
    expect(text.message).toBe('Aborted: shutting down');
    expect(text.cause).toBe('shutting down');
  });

  it('another scope\'s signal: the same reason flows on', async () => {
    const upstream = new Cancelable({ name: 'upstream' });
    let downstreamError: unknown;
    await rejection(
      upstream.run(async (u) => {
        const downstream = Cancelable.withAbortSignal(u.signal, { parent: null });
        const outcome = rejection(downstream.run((d) => d.sleep(60_000)));
        u.cancel({ reason: 'condition', message: 'upstream condition' });
        downstreamError = await outcome;
        u.throwIfCancelled();
      }),
    );
    expect(downstreamError).toBeInstanceOf(ConditionCancelation);
    expect((downstreamError as Error).message).toBe('upstream condition');
    expect((downstreamError as Error).cause).toBe(upstream.cancelError);
  });
});
