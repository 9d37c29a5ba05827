/**
 * A scope's waiter set (src/core/scope/waiter-set.ts): the oldest wait inline, the others in a Set
 * made on demand. What users see is the order: a cancellation rejects a scope's pending waits in the
 * order they began, however waits came and went before it; and a scope with one wait makes no Set.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable } from '../../src/index.js';
import { WaiterSet, type Waiter } from '../../src/core/scope/waiter-set.js';
import type { CancelationError } from '../../src/core/index.js';

/** A waiter that records its name when told; `onCancel` runs inside the delivery. */
function recorder(log: string[], name: string, onCancel?: () => void): Waiter {
  return {
    cancelled: (error: CancelationError) => {
      log.push(`${name}:${error.reason}`);
      onCancel?.();
    },
    ended: () => log.push(`${name}:ended`),
  };
}

const error = { reason: 'manual' } as CancelationError;

describe('WaiterSet', () => {
  it('counts, adds and deletes like a Set; delete answers whether the waiter was there', () => {
    const set = new WaiterSet();
    const log: string[] = [];
    const [a, b, c] = [recorder(log, 'a'), recorder(log, 'b'), recorder(log, 'c')];
    expect(set.size).toBe(0);
    set.add(a);
    expect(set.size).toBe(1);
    set.add(b);
    set.add(c);
    expect(set.size).toBe(3);
    expect(set.delete(b)).toBe(true);
    expect(set.delete(b)).toBe(false);
    expect(set.delete(a)).toBe(true);
    expect(set.delete(a)).toBe(false);
    expect(set.size).toBe(1);
    set.cancelled(error);
    expect(log).toEqual(['c:manual']);
  });

  it('visits oldest first, also when the inline entry left and others still wait in the set', () => {
    const set = new WaiterSet();
    const log: string[] = [];
    const a = recorder(log, 'a');
    set.add(a);
    set.add(recorder(log, 'b'));
    set.delete(a); // the inline slot is free, but b is older than anything added now
    set.add(recorder(log, 'c'));
    set.add(recorder(log, 'd'));
    set.cancelled(error);
    expect(log).toEqual(['b:manual', 'c:manual', 'd:manual']);
  });

  it('reuses the inline slot once everything else has left', () => {
    const set = new WaiterSet();
    const log: string[] = [];
    const a = recorder(log, 'a');
    const b = recorder(log, 'b');
    set.add(a);
    set.add(b);
    set.delete(a);
    set.delete(b);
    expect(set.size).toBe(0);
    const c = recorder(log, 'c');
    set.add(c);
    expect(set._first).toBe(c); // inline again, though the Set made for b remains
    set.add(recorder(log, 'd'));
    set.ended();
    expect(log).toEqual(['c:ended', 'd:ended']);
  });

  it('delete of a waiter it never held answers false, with or without a Set', () => {
    const set = new WaiterSet();
    const log: string[] = [];
    expect(set.delete(recorder(log, 'x'))).toBe(false); // no Set yet
    set.add(recorder(log, 'a'));
    expect(set.delete(recorder(log, 'y'))).toBe(false); // only the inline entry
    set.add(recorder(log, 'b'));
    expect(set._rest).toBeDefined();
    expect(set.delete(recorder(log, 'z'))).toBe(false); // with a Set
  });

  it('ended() skips waiters without an ended() hook (a cancellation listener has none)', () => {
    const set = new WaiterSet();
    const bare: Waiter = { cancelled: () => {} };
    set.add(bare);
    set.add({ cancelled: () => {} });
    expect(() => set.ended()).not.toThrow();
  });

  it('does not visit a waiter deleted by an earlier visit', () => {
    const set = new WaiterSet();
    const log: string[] = [];
    const c = recorder(log, 'c');
    set.add(recorder(log, 'a', () => set.delete(c)));
    set.add(recorder(log, 'b'));
    set.add(c);
    set.cancelled(error);
    expect(log).toEqual(['a:manual', 'b:manual']);
  });
});

describe('a scope’s waits', () => {
  it('a cancellation rejects the pending waits in the order they began, after others settled', async () => {
    const order: string[] = [];
    const scope = new Cancelable();
    const run = scope.run(async (s) => {
      let releaseFirst!: () => void;
      const first = s.race(new Promise<void>((resolve) => (releaseFirst = resolve)));
      const second = s.race(new Promise(() => {}));
      releaseFirst(); // the inline entry leaves; `second` waits in the set
      await first;
      const third = s.sleep(3_600_000);
      const fourth = s.race(new Promise(() => {}));
      const watched = [second, third, fourth].map((wait, i) =>
        wait.then(
          () => order.push(`${i}:resolved`),
          () => order.push(`wait ${['second', 'third', 'fourth'][i]}`),
        ),
      );
      s.cancel('stop');
      await Promise.all(watched);
    });
    await run; // the body handled the rejections and returned: a completion (SPEC §3)
    expect(order).toEqual(['wait second', 'wait third', 'wait fourth']);
  });

  it('one pending wait keeps no Set: the first wait is held inline', async () => {
    const scope = new Cancelable();
    const run = scope.run(async (s) => {
      const wait = s.race(Promise.resolve(1));
      const set = s._waiters;
      expect(set).toBeInstanceOf(WaiterSet);
      expect(set?.size).toBe(1);
      expect(set?._rest).toBeUndefined();
      const second = s.race(new Promise(() => {}));
      expect(set?._rest?.size).toBe(1); // the second concurrent wait makes the Set
      await wait;
      expect(set?.size).toBe(1);
      s.cancel();
      await expect(second).rejects.toMatchObject({ reason: 'manual' });
    });
    await run;
  });
});
