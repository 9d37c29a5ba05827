import { describe, it, expect } from 'vitest';
import { Cancelable, CancelationToken, TimeoutCancelation } from '../src/index.js';
describe('smoke', () => {
  it('timeout', async () => {
    const s = Cancelable.withTimeout(20, { name: 't' });
    const err = await s.run((x) => x.sleep(1000)).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutCancelation);
    expect(s.status).toBe('cancelled');
    expect(s.signal.reason).toBe(err);
  });
  it('value', async () => {
    expect(await new Cancelable().run(async () => 42)).toBe(42);
  });
  it('children', async () => {
    const t = new CancelationToken();
    const p = Cancelable.withToken(t).run(async (parent) => {
      await new Cancelable({name:'c'}).run(async (c) => { expect(c.parent).toBe(parent); setTimeout(() => t.cancelSync('x'), 5); await c.sleep(1000); });
    });
    const e = await p.catch((e) => e);
    expect(e.message).toBe('x');
  });
  it('grace', async () => {
    const s = Cancelable.withTimeout(10, { graceMs: 20 });
    const t0 = Date.now();
    const e = await s.run(() => new Promise((r) => setTimeout(r, 200))).catch((e) => e);
    expect(e).toBeInstanceOf(TimeoutCancelation);
    expect(Date.now() - t0).toBeLessThan(150);
    await new Promise((r) => setTimeout(r, 200));
  });
  it('await using', async () => {
    let scope: Cancelable | undefined;
    {
      await using s = Cancelable.withTimeout(10).enter();
      scope = s;
      expect(Cancelable.current()).toBe(s);
      await s.sleep(100).catch(() => {});
    }
    expect(scope.status).toBe('cancelled');
  });
});
