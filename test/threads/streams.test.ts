/**
 * SPEC §6 + §7: cross-thread streams, both ways. A pending next() is released at once by a cancel
 * made in another thread, even though the source never yields again.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable } from '../../src/index.js';
import { SharedCancelationToken } from '../../src/threads/index.js';
import { rejection } from '../core/helpers.js';
import { reportPort, runFixture, sharedInts, startWorker, until } from './helpers.js';

/** An async iterator that yields `first`, then never settles again; records return() calls. */
function stalled<T>(first: T): AsyncIterableIterator<T> & { readonly returned: boolean } {
  let pulls = 0;
  let returned = false;
  return {
    get returned() {
      return returned;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      pulls++;
      return pulls === 1 ? Promise.resolve({ value: first, done: false }) : new Promise<never>(() => {});
    },
    return() {
      returned = true;
      return Promise.resolve({ value: undefined, done: true });
    },
  };
}

describe('cross-thread streams', () => {
  it('a stream consumed in the main thread is cancelled from a worker: the pending next() rejects', async () => {
    const token = new SharedCancelationToken();
    const source = stalled('first');
    const items: string[] = [];
    const worker = startWorker('token-worker', {
      mode: 'cancel-later',
      token: token.buffer,
      delayMs: 50,
      message: 'stop streaming',
    });
    const error = await rejection(
      Cancelable.withToken(token, { name: 'consumer' }).run(async (scope) => {
        for await (const item of scope.stream(source)) items.push(item);
      }),
    );
    expect(items).toEqual(['first']);
    expect((error as Error).message).toBe('stop streaming');
    expect(source.returned).toBe(true); // the source is closed too
    expect(await worker.next()).toEqual({ won: true });
    await worker.exited;
  });

  it('a stream consumed in a worker is cancelled from the main thread: its pending next() rejects', async () => {
    const started = sharedInts(1);
    const scope = new Cancelable({ name: 'caller', graceMs: 10_000 });
    const { port, report } = reportPort();
    const run = scope.run((s) => runFixture(s, 'stream-consumer', { workerData: { started, report: port }, transferList: [port] }));
    await until(() => Atomics.load(started, 0) === 1, 15_000, 'the worker to wait on next()');
    scope.cancel({ reason: 'timeout', message: 'stream budget exhausted' });
    expect(await rejection(run)).toBe(scope.cancelError); // the caller rejects at once
    const result = await report; // what the worker saw
    expect(result).toMatchObject({
      items: [1],
      name: 'TimeoutCancelation',
      reason: 'timeout',
      message: 'stream budget exhausted',
      returned: true,
    });
    // Released by the cancel itself, not by some timeout (a loose sanity bound, not a speed test).
    expect(result.sinceCancelMs).toBeLessThan(5_000);
  });
});

describe('cross-thread waits without streams', () => {
  it('a scope.race() in the main thread is released by a worker cancelling', async () => {
    const token = new SharedCancelationToken();
    const worker = startWorker('token-worker', { mode: 'cancel-later', token: token.buffer, delayMs: 20, message: 'race' });
    const error = await rejection(Cancelable.withToken(token).run((s) => s.race(new Promise(() => {}))));
    expect((error as Error).message).toBe('race');
    await worker.exited;
  });
});
