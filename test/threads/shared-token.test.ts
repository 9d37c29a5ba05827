/**
 * SPEC §7 (threads): SharedCancelationToken in one thread and across real worker threads.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  ManualCancelation,
  TimeoutCancelation,
  TokenSource,
} from '../../src/index.js';
import { ManualClock, flushMicrotasks } from '../../src/testing/index.js';
import { MAX_SHARED_MESSAGE_BYTES, SharedCancelationToken } from '../../src/threads/index.js';
import { threadHolders } from '../../src/threads/keep-alive.js';
import { expectCollected } from '../harness/leaks.js';
import { rejection } from '../core/helpers.js';
import { sharedInts, startWorker, until } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('SharedCancelationToken in one thread', () => {
  it('is a CancelationToken: same API, same first-cancel-wins semantics', async () => {
    const token = new SharedCancelationToken();
    expect(token).toBeInstanceOf(CancelationToken);
    expect(token.isCancelled).toBe(false);
    expect(token.reason).toBeUndefined();
    expect(token.message).toBeUndefined();
    expect(token.cancelledAt).toBeUndefined();
    expect(token.error).toBeUndefined();
    expect(token.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(token.buffer).toBeInstanceOf(SharedArrayBuffer);

    const seen: string[] = [];
    token.onCancel((error) => {
      seen.push(error.message);
    });
    const before = Date.now();
    await expect(token.cancel({ reason: 'timeout', message: 'first' })).resolves.toBe(true);
    expect(token.cancelSync('second')).toBe(false);
    await expect(token.cancel('third')).resolves.toBe(false);
    expect(seen).toEqual(['first']);
    expect(token.isCancelled).toBe(true);
    expect(token.reason).toBe('timeout');
    expect(token.message).toBe('first');
    expect(token.cancelledAt).toBeGreaterThanOrEqual(before);
    expect(token.error).toBeInstanceOf(TimeoutCancelation);
    expect(token.signal.aborted).toBe(true);
    expect(token.signal.reason).toBe(token.error);
    await expect(token.waitForCancel()).resolves.toBe(token.error);
    expect(() => token.throwIfCancelled()).toThrow(token.error!);
  });

  it('cancel() resolves after async callbacks; an unsubscribed callback never runs', async () => {
    const token = new SharedCancelationToken();
    const clock = new ManualClock();
    const order: string[] = [];
    token.onCancel(async () => {
      await new Promise((resolve) => clock.setTimeout(resolve, 5, undefined));
      order.push('async callback');
    });
    const off = token.onCancel(() => {
      order.push('removed');
    });
    off();
    off();
    expect(token.listenerCount).toBe(1);
    const cancelled = token.cancel().then(() => order.push('cancel resolved'));
    await flushMicrotasks();
    expect(clock.pendingTimers).toBe(1); // the callback is waiting...
    expect(order).toEqual([]); // ...and so is cancel()
    await clock.advance(5);
    await cancelled;
    expect(order).toEqual(['async callback', 'cancel resolved']);
    expect(token.listenerCount).toBe(0);
  });

  it('is a source like any other: withToken, TokenSource, combine', async () => {
    const token = new SharedCancelationToken();
    const viaWithToken = Cancelable.withToken(token).run((s) => s.sleep(60_000));
    const viaSource = new Cancelable({ sources: [new TokenSource(token)] }).run((s) => s.sleep(60_000));
    const viaCombine = Cancelable.combine([token]).run((s) => s.sleep(60_000));
    await new Promise((resolve) => setImmediate(resolve));
    token.cancelSync('stop them all');
    for (const run of [viaWithToken, viaSource, viaCombine]) {
      const error = await rejection(run);
      expect(error).toBeInstanceOf(ManualCancelation);
      expect((error as Error).message).toBe('stop them all');
    }
  });

  it('a scope started on an already cancelled token starts cancelled', async () => {
    const token = new SharedCancelationToken();
    token.cancelSync({ reason: 'signal', message: 'gone' });
    const error = await rejection(Cancelable.withToken(token).run((s) => s.sleep(60_000)));
    expect((error as { reason: string }).reason).toBe('signal');
    expect((error as Error).message).toBe('gone');
  });

  it('from(buffer) is a second view of the same token: cancelling either cancels both', () => {
    const a = new SharedCancelationToken();
    const b = SharedCancelationToken.from(a.buffer);
    expect(b).not.toBe(a);
    expect(b.id).toBe(a.id);
    expect(b.buffer).toBe(a.buffer);
    const seen: string[] = [];
    a.onCancel((e) => {
      seen.push(`a:${e.message}`);
    });
    expect(b.cancelSync('from b')).toBe(true);
    // The getters read the shared state and run nothing: a's callback runs when a method applies it.
    expect(a.isCancelled).toBe(true);
    expect(a.reason).toBe('manual');
    expect(a.message).toBe('from b');
    expect(a.error?.message).toBe('from b');
    expect(seen).toEqual([]);
    expect(() => a.throwIfCancelled()).toThrow('from b');
    expect(seen).toEqual(['a:from b']);
    expect(a.cancelSync('late')).toBe(false);
  });

  it('getters are pure reads; this thread is woken to run the callbacks without a method call', async () => {
    const a = new SharedCancelationToken();
    const b = SharedCancelationToken.from(a.buffer);
    const seen: string[] = [];
    const off = a.onCancel((e) => void seen.push(e.message));
    b.cancelSync('wake up');
    expect([a.isCancelled, a.reason, a.message, typeof a.cancelledAt]).toEqual([true, 'manual', 'wake up', 'number']);
    expect(a.signal.aborted).toBe(true); // created now: aborted, with the same error as a.error
    expect(a.signal.reason).toBe(a.error);
    expect(seen).toEqual([]);
    await until(() => seen.length === 1, 5_000, 'the wake-up');
    expect(seen).toEqual(['wake up']);
    off();
  });

  it(`caps the message at ${MAX_SHARED_MESSAGE_BYTES} UTF-8 bytes, cut at a character boundary`, () => {
    expect(SharedCancelationToken.MAX_MESSAGE_BYTES).toBe(1024);
    const exact = new SharedCancelationToken();
    exact.cancelSync('x'.repeat(1024));
    expect(exact.message).toBe('x'.repeat(1024));
    expect(exact.messageTruncated).toBe(false);

    const long = new SharedCancelationToken();
    // 'é' is 2 bytes: 1023 ASCII bytes + 'é' would need 1025, so the 'é' is dropped whole.
    long.cancelSync(`${'a'.repeat(1023)}é and more`);
    expect(long.message).toBe('a'.repeat(1023));
    expect(long.messageTruncated).toBe(true);
    expect(long.error?.message).toBe('a'.repeat(1023));

    const emoji = new SharedCancelationToken();
    emoji.cancelSync('😀'.repeat(300)); // 4 bytes each: 256 fit exactly
    expect(emoji.message).toBe('😀'.repeat(256));
    // The thread that cancels sees the same (truncated) message as every other thread.
    expect(SharedCancelationToken.from(emoji.buffer).message).toBe(emoji.message);

    const empty = new SharedCancelationToken();
    empty.cancelSync('');
    expect(empty.message).toBe('');
    const none = new SharedCancelationToken();
    none.cancelSync();
    expect(none.message).toBeUndefined();
  });

  it('rejects anything but a token buffer with a clear TypeError', () => {
    const token = new SharedCancelationToken();
    const bad: [unknown, RegExp][] = [
      [undefined, /buffer must be the buffer of a SharedCancelationToken \(token\.buffer\); got undefined/],
      [{}, /got an object/],
      [token, /got the token itself; pass token\.buffer/],
      [new ArrayBuffer(token.buffer.byteLength), /ArrayBuffer \(a copy, not shared memory\)/],
      [new SharedArrayBuffer(16), /SharedArrayBuffer of 16 bytes/],
      [new SharedArrayBuffer(token.buffer.byteLength), /without the token header/],
    ];
    for (const [value, message] of bad) {
      expect(() => SharedCancelationToken.from(value as SharedArrayBuffer)).toThrow(TypeError);
      expect(() => SharedCancelationToken.from(value as SharedArrayBuffer)).toThrow(message);
    }
    const otherVersion = new SharedArrayBuffer(token.buffer.byteLength);
    new Uint8Array(otherVersion).set(new Uint8Array(token.buffer));
    new Int32Array(otherVersion)[1] = 99;
    expect(() => SharedCancelationToken.from(otherVersion)).toThrow(/layout version 99/);
    const corrupt = new SharedArrayBuffer(token.buffer.byteLength);
    new Uint8Array(corrupt).set(new Uint8Array(token.buffer));
    new Int32Array(corrupt)[2] = 77;
    expect(() => SharedCancelationToken.from(corrupt)).toThrow(/corrupt state \(77\)/);
    expect(SharedCancelationToken.isTokenBuffer(token.buffer)).toBe(true);
    expect(SharedCancelationToken.isTokenBuffer(new SharedArrayBuffer(8))).toBe(false);
    // Bad cancel arguments are caught before anything is shared.
    expect(() => token.cancelSync({ reason: 'nope' as 'manual' })).toThrow(TypeError);
    expect(token.isCancelled).toBe(false);
  });

  it('holds the thread only while it has listeners, and never after the cancel', () => {
    const base = threadHolders();
    const token = new SharedCancelationToken();
    void token.waitForCancel(); // waiting for the promise alone does not hold the thread
    expect(threadHolders()).toBe(base);
    const off1 = token.onCancel(() => {});
    const off2 = token.onCancel(() => {});
    expect(threadHolders()).toBe(base + 1);
    off1();
    expect(threadHolders()).toBe(base + 1);
    token.unref();
    expect(threadHolders()).toBe(base);
    token.ref();
    expect(threadHolders()).toBe(base + 1);
    off2();
    expect(threadHolders()).toBe(base);
    token.onCancel(() => {});
    expect(threadHolders()).toBe(base + 1);
    token.cancelSync();
    expect(threadHolders()).toBe(base);
  });
});

describe('SharedCancelationToken: nothing retained', () => {
  it('a token whose listeners left is garbage-collected (its pending wait is released)', async () => {
    await expectCollected(
      () => {
        const token = new SharedCancelationToken();
        token.onCancel(() => {})();
        const scope = Cancelable.withToken(token);
        void scope.run(() => 'done');
        return token;
      },
      { label: 'SharedCancelationToken' },
    );
  });

  it('a view that stops listening does not deafen another view in the same thread', async () => {
    const token = new SharedCancelationToken();
    const other = SharedCancelationToken.from(token.buffer);
    const heard = token.waitForCancel();
    other.onCancel(() => {})(); // stops waiting: wakes the shared slot, the first view waits again
    await new Promise((resolve) => setTimeout(resolve, 10));
    const worker = startWorker('token-worker', { mode: 'cancel-later', token: token.buffer, delayMs: 10, message: 'heard' });
    expect((await heard).message).toBe('heard');
    await worker.exited;
  });
});

describe('SharedCancelationToken across worker threads', () => {
  it('revives in a worker with the same id and state', async () => {
    const token = new SharedCancelationToken();
    const w1 = startWorker('token-worker', { mode: 'read', token: token.buffer });
    expect(await w1.next()).toEqual({ id: token.id, isCancelled: false, reason: undefined, message: undefined });
    await w1.exited;
    token.cancelSync({ reason: 'condition', message: 'ünïcode ✓' });
    const w2 = startWorker('token-worker', { mode: 'read', token: token.buffer });
    expect(await w2.next()).toEqual({ id: token.id, isCancelled: true, reason: 'condition', message: 'ünïcode ✓' });
    await w2.exited;
  });

  it('the seed example: a scope in the main thread cancelled by cancelSync() in another thread', async () => {
    const token = new SharedCancelationToken();
    const worker = startWorker('token-worker', {
      mode: 'cancel-later',
      token: token.buffer,
      delayMs: 50,
      message: 'Cancelled from thread',
    });
    const error = await rejection(
      Cancelable.withToken(token, { name: 'async_worker' }).run(async (scope) => {
        // Nothing here polls: no timer is active while the scope waits for the other thread.
        await scope.race(new Promise(() => {}));
      }),
    );
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe('Cancelled from thread');
    expect(await worker.next()).toEqual({ won: true });
    expect(token.reason).toBe('manual');
    expect(await worker.exited).toBe(0);
  });

  it('wakes a waiting thread without polling: no timer is active while it waits', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const token = new SharedCancelationToken();
    const before = timers();
    const cancelled = token.waitForCancel();
    const off = token.onCancel(() => {});
    const scope = Cancelable.withToken(token).run((s) => s.race(new Promise(() => {})));
    expect(timers()).toBe(before); // the library armed no timer to wait for the other thread
    const worker = startWorker('token-worker', { mode: 'cancel-async', token: token.buffer, message: 'async' });
    const error = await cancelled;
    expect(error.message).toBe('async');
    expect(((await rejection(scope)) as Error).message).toBe('async');
    off();
    expect(await worker.next()).toEqual({ won: true });
    await worker.exited;
  });

  it('wakes a token that only hands out its signal', async () => {
    const token = new SharedCancelationToken();
    const signal = token.signal;
    const aborted = new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
    const worker = startWorker('token-worker', { mode: 'cancel-later', token: token.buffer, delayMs: 10, message: 'sig' });
    const reason = await aborted;
    expect((reason as Error).message).toBe('sig');
    await worker.exited;
  });

  it('a scope in a worker, waiting only for the cancel, is kept alive and released by cancelSync() here', async () => {
    const token = new SharedCancelationToken();
    const worker = startWorker('token-worker', { mode: 'listen', token: token.buffer });
    expect(await worker.next()).toEqual({ ready: true });
    // Give the worker's loop time to drain: it must still be alive, held by its listening scope.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(worker.messages).toHaveLength(1);
    expect(token.cancelSync({ reason: 'timeout', message: 'from main' })).toBe(true);
    expect(await worker.next()).toEqual({
      cancelled: true,
      name: 'TimeoutCancelation',
      reason: 'timeout',
      message: 'from main',
    });
    expect(await worker.exited).toBe(0);
  });

  it('a token that is never cancelled keeps no worker alive', async () => {
    const token = new SharedCancelationToken();
    const worker = startWorker('token-worker', { mode: 'idle', token: token.buffer });
    expect(await worker.next()).toEqual({ value: 'done', listeners: 0 });
    expect(await worker.exited).toBe(0); // exits by itself; nobody terminates it
    const unref = startWorker('token-worker', { mode: 'unref', token: token.buffer });
    expect(await unref.next()).toEqual({ ready: true });
    expect(await unref.exited).toBe(0);
    expect(token.isCancelled).toBe(false);
  });

  it('a token that is never cancelled keeps no process alive', async () => {
    const script = fileURLToPath(new URL('./fixtures/idle-process.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', script],
        { cwd: root, timeout: 15_000 },
        (error, out) => {
          if (error && error.killed) reject(new Error('the process did not exit by itself'));
          else resolve({ code: error ? (error.code as number) : 0, stdout: out });
        },
      );
      child.stdin?.end();
    });
    expect(stdout.trim()).toBe('idle done');
    expect(code).toBe(0);
  });

  it('a CPU-bound loop in this thread sees a cancel from another thread without yielding', async () => {
    const token = new SharedCancelationToken();
    const scope = Cancelable.withToken(token);
    const worker = startWorker('token-worker', { mode: 'cancel-later', token: token.buffer, delayMs: 30, message: 'spin' });
    const seen: { spins: number; cancelled: boolean; scopeCancelled: boolean }[] = [];
    const error = await rejection(
      scope.run(async (s) => {
        const deadline = Date.now() + 15_000;
        let spins = 0;
        while (!token.isCancelled && Date.now() < deadline) spins++;
        // The getter only read the shared memory: the scope learns at this thread's next turn.
        seen.push({ spins, cancelled: token.isCancelled, scopeCancelled: s.isCancelled });
        await s.sleep(15_000); // rejects once the wake-up delivers the cancel
      }),
    );
    expect(seen[0]?.cancelled).toBe(true);
    expect(seen[0]?.scopeCancelled).toBe(false);
    expect((error as Error).message).toBe('spin');
    expect(scope.status).toBe('cancelled');
    await worker.exited;
  });

  it('the first cancel wins across threads, atomically, and every thread sees the winner', async () => {
    for (let round = 0; round < 2; round++) {
      const token = new SharedCancelationToken();
      const gate = sharedInts(2); // [0]: open, [1]: racers ready
      const racers = Array.from({ length: 4 }, (_, index) =>
        startWorker('token-worker', { mode: 'race', token: token.buffer, gate, index }),
      );
      // Open the gate once every racer spins on it: they all cancel at the same moment.
      await until(() => Atomics.load(gate, 1) === racers.length, 15_000, 'the racers');
      Atomics.store(gate, 0, 1);
      const results = await Promise.all(racers.map((r) => r.next<{ won: boolean; message: string }>()));
      await Promise.all(racers.map((r) => r.exited));
      expect(results.filter((r) => r.won)).toHaveLength(1);
      const winner = results.find((r) => r.won)!;
      for (const r of results) expect(r.message).toBe(winner.message);
      expect(token.message).toBe(winner.message);
      expect(token.cancelSync('too late')).toBe(false);
    }
  });
});
