/**
 * Nothing outlives the scope that made it: timers, listeners, links to children. Uses the real
 * system clock on purpose (real timers are what could leak).
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  AbortSignalSource,
  Cancelable,
  CancelationToken,
  DeadlineSource,
  TimeoutSource,
  TokenSource,
} from '../../src/index.js';
import { assertNoLeaks, expectCollected, forceGC, snapshotResources } from '../harness/leaks.js';
import { rejection } from './helpers.js';
import { onCancellation } from '../../src/core/index.js';

const never = (): Promise<never> => new Promise<never>(() => {});

describe('a scope that ended leaves no timer or listener', () => {
  it('completed scopes with long timeouts and deadlines: no timer left', async () => {
    const baseline = snapshotResources();
    await Cancelable.withTimeout(3_600_000).run(() => 'quick');
    await Cancelable.withDeadline(Date.now() + 3_600_000).run(async () => 'quick');
    await new Cancelable({ sources: [new TimeoutSource(2 ** 40)] }).run(() => 'beyond setTimeout max');
    await assertNoLeaks(baseline, { label: 'completed scopes' });
  });

  it('cancelled scopes: the grace timer, pending sleeps and the timeout are all cleared', async () => {
    const baseline = snapshotResources();
    const scope = new Cancelable({ sources: [new TimeoutSource(3_600_000)], graceMs: 3_600_000 });
    await rejection(
      scope.run(async (s) => {
        const sleeps = [s.sleep(3_600_000), s.sleep(3_600_000), s.race(never())].map((p) => rejection(p));
        s.cancel(); // arms the (long) grace timer; the body ends at once, which clears it
        await Promise.all(sleeps);
        s.throwIfCancelled();
      }),
    );
    await assertNoLeaks(baseline, { label: 'cancelled scope' });
  });

  it('abandoned bodies: the grace timer fired, nothing else armed', async () => {
    const baseline = snapshotResources();
    const scope = Cancelable.withTimeout(5, { graceMs: 5 });
    await rejection(scope.run(() => never()));
    await assertNoLeaks(baseline, { label: 'abandoned scope' });
  });

  it('shields with timeouts, children, and entered scopes: nothing left', async () => {
    const baseline = snapshotResources();
    const parent = Cancelable.withTimeout(3_600_000);
    await parent.run(async (p) => {
      await p.shield((s) => s.sleep(1), { timeout: 3_600_000 });
      await Cancelable.withTimeout(3_600_000).run((c) => c.sleep(1));
      {
        await using _entered = Cancelable.withTimeout(3_600_000).enter();
      }
    });
    await assertNoLeaks(baseline, { label: 'shields and children' });
  });

  it('token and AbortSignal listeners are removed when the scope ends', async () => {
    const token = new CancelationToken();
    const controller = new AbortController();
    const sources = () => [new TokenSource(token), new AbortSignalSource(controller.signal)];
    await new Cancelable({ sources: sources() }).run(() => {
      expect(token.listenerCount).toBe(1);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    });
    await rejection(
      new Cancelable({ sources: sources() }).run(async (s) => {
        s.cancel();
        await s.sleep(1);
      }),
    );
    await rejection(Cancelable.combine([token, controller.signal, new DeadlineSource(0)]).run((s) => s.sleep(1)));
    expect(token.listenerCount).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // The scope's own token: its listener goes too.
    const own = new Cancelable();
    const ownToken = own.token;
    await own.run(() => undefined);
    expect(ownToken.listenerCount).toBe(0);
  });

  it('a foreign signal that aborted: its listener is gone too', async () => {
    const controller = new AbortController();
    const run = rejection(Cancelable.withAbortSignal(controller.signal).run((s) => s.sleep(60_000)));
    controller.abort();
    await run;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('waits on a long-lived scope release what they waited for (PITFALLS 9)', () => {
  it('raced values, slept-out waits and removed listeners are collectable while the scope runs', async () => {
    const scope = new Cancelable({ name: 'long-lived' });
    let release!: () => void;
    const run = scope.run(() => new Promise<void>((resolve) => (release = resolve)));
    await expectCollected(async () => {
      const value = { payload: new Array<number>(1_000).fill(1) };
      expect(await scope.race(Promise.resolve(value))).toBe(value);
      return value;
    }, { label: 'raced value' });
    await expectCollected(() => {
      const listener = { onCancel: () => undefined };
      const off = onCancellation(scope, () => listener.onCancel());
      off();
      return listener;
    }, { label: 'removed cancel listener' });
    release();
    await run;
  });
});

describe('100,000 scopes under one long-lived parent', () => {
  it('leave nothing retained after GC: bounded heap, WeakRefs to finished children cleared', async () => {
    const count = 100_000;
    const batch = 1_000;
    const sampleEvery = 1_000;
    const refs: WeakRef<Cancelable>[] = [];
    const parent = new Cancelable({ name: 'long-lived' });
    const parentSignal = parent.signal; // read: a real AbortSignal lives as long as the parent
    let retainedBytes = Number.NaN;

    // Each child in its own function: no stack slot of the loop keeps the last one alive.
    async function child(i: number): Promise<void> {
      const scope = i % 2 === 0 ? Cancelable.withTimeout(3_600_000) : new Cancelable();
      if (i % sampleEvery === 0) refs.push(new WeakRef(scope));
      await scope
        .run(async (c) => {
          if (i % 3 === 0) void c.signal; // some read their signal
          if (i % 5 === 0) {
            c.cancel('some are cancelled');
            await c.sleep(0);
          }
          await Promise.resolve();
        })
        .catch(() => undefined);
    }

    await parent.run(async () => {
      for (let i = 0; i < 2 * batch; i++) await child(i); // warm up (JIT, hidden classes)
      await forceGC(3);
      const before = process.memoryUsage().heapUsed;
      for (let start = 0; start < count; start += batch) {
        const running: Promise<void>[] = [];
        for (let i = start; i < start + batch; i++) running.push(child(i));
        await Promise.all(running);
      }
      await forceGC(3);
      retainedBytes = process.memoryUsage().heapUsed - before;
    });
    expect(parent.status).toBe('completed');
    expect(parentSignal.aborted).toBe(false);
    // AbortSignal.any would keep ~74 B per child (7.4 MB here); a leaked scope costs hundreds of bytes.
    expect(retainedBytes).toBeLessThan(2_500_000);
    await forceGC(2);
    expect(refs.length).toBeGreaterThan(count / sampleEvery);
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });
});
