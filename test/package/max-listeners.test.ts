// SPEC §13: signals the library creates never print MaxListenersExceededWarning, however many
// listeners they get. Node warns at 11 listeners on an AbortSignal; a scope's signal and a shared
// parent, token or AbortSignal routinely get hundreds (one per child, request or stream).
import { getEventListeners, getMaxListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cancelable, CancelationToken, isCancelation } from '../../src/index.js';

const COUNT = 150;
let warnings: string[];
const onWarning = (warning: Error): void => {
  if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message);
};

beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});

afterEach(() => {
  process.off('warning', onWarning);
});

/** Node emits process warnings on a later tick: let them arrive before looking. */
async function settledWarnings(): Promise<string[]> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return warnings;
}

/** All `COUNT` runs end cancelled (each waited for its cancellation, so each listened to it). */
async function expectAllCancelled(runs: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(runs);
  expect(results.filter((result) => result.status === 'rejected' && isCancelation(result.reason))).toHaveLength(COUNT);
}

describe(`${COUNT} scopes or listeners on one signal`, () => {
  it('the guard is meaningful: a plain AbortSignal here warns past 10 listeners', () => {
    // (Not triggered for real: Node would print the warning on the test's stderr.)
    expect(getMaxListeners(new AbortController().signal)).toBe(10);
  });

  it('children of one running parent', async () => {
    const parent = new Cancelable({ name: 'parent' });
    const outcome = parent.run(async (scope) => {
      const children = Array.from({ length: COUNT }, (_, i) => new Cancelable({ parent: scope, name: `child-${i}` }).run((child) => child.waitForCancel().then((error) => Promise.reject(error))));
      await scope.sleep(5).catch(() => undefined);
      void scope.cancel('done');
      await expectAllCancelled(children);
    });
    await outcome; // the body ended within the grace period: completed, with the request recorded
    expect(parent.context.cancelReason).toBe('manual');
    expect(await settledWarnings()).toEqual([]);
  });

  it('scopes sharing one AbortSignal, one token, and one combined source', async () => {
    // The AbortSignal is the user's: the library adds one listener to it, however many scopes share it.
    const controller = new AbortController();
    const token = new CancelationToken();
    const shared = Cancelable.withTimeout(60_000, { name: 'shared' });
    const runs = [
      ...Array.from({ length: COUNT }, () => Cancelable.withAbortSignal(controller.signal).run((scope) => scope.sleep(60_000))),
      ...Array.from({ length: COUNT }, () => Cancelable.withToken(token).run((scope) => scope.sleep(60_000))),
      ...Array.from({ length: COUNT }, () => Cancelable.combine([shared, controller.signal]).run((scope) => scope.sleep(60_000))),
    ];
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await token.cancel('stop');
    const results = await Promise.allSettled(runs);
    expect(results.every((result) => result.status === 'rejected' && isCancelation(result.reason))).toBe(true);
    expect(await settledWarnings()).toEqual([]);
  });

  it("a scope's own signal and its token's signal handed to that many consumers", async () => {
    const owner = Cancelable.withTimeout(60_000);
    const outcome = owner.run(async (scope) => {
      const listeners = Array.from({ length: COUNT }, () => () => {});
      for (const listener of listeners) {
        scope.signal.addEventListener('abort', listener, { once: true });
        scope.token.signal.addEventListener('abort', listener, { once: true });
      }
      const waits = Array.from({ length: COUNT }, () => scope.sleep(60_000));
      void scope.cancel('enough');
      await expectAllCancelled(waits);
    });
    await outcome;
    expect(owner.context.cancelReason).toBe('manual');
    expect(await settledWarnings()).toEqual([]);
  });

  it('a shared AbortSignal carries one listener of ours while scopes listen, none once they end', async () => {
    const controller = new AbortController();
    const scopes = Array.from({ length: COUNT }, () => Cancelable.withAbortSignal(controller.signal));
    const runs = scopes.map((scope) => scope.run((running) => running.sleep(60_000)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    // The scopes end on their own (cancel()), not through the signal: the last one removes the listener.
    for (const scope of scopes.slice(1)) void scope.cancel('own');
    await Promise.allSettled(runs.slice(1));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    void scopes[0]!.cancel('own');
    await Promise.allSettled(runs);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(await settledWarnings()).toEqual([]);
  });
});
