import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation, ParentCancelation, cancelable, withCancelable } from '../../src/index.js';

describe('withCancelable(scope, fn)', () => {
  it('runs fn with the existing scope, current, for every call', async () => {
    const pipeline = new Cancelable({ name: 'pipeline' });
    const seen: { scope: Cancelable; current: Cancelable | undefined }[] = [];
    const fetchData = withCancelable(pipeline, async (scope, url: string) => {
      await Promise.resolve();
      seen.push({ scope, current: Cancelable.current() });
      return url.length;
    });
    const lengths = await pipeline.run(() => Promise.all([fetchData('a'), fetchData('bcd')]));
    expect(lengths).toEqual([1, 3]);
    expect(seen.every((s) => s.scope === pipeline && s.current === pipeline)).toBe(true);
  });

  it('makes scopes started by fn children of the bound scope', async () => {
    const root = new Cancelable({ name: 'root' });
    const other = new Cancelable({ name: 'other' });
    const inner = cancelable({}, async (scope) => scope.parent?.name);
    const viaBound = withCancelable(root, () => inner());
    // Called from inside another scope: the bound scope is still the parent.
    await expect(root.run(() => other.run(() => viaBound()))).resolves.toBe('root');
  });

  it('rejects as soon as the scope is cancelled mid-call, and at once afterwards', async () => {
    const scope = new Cancelable({ name: 'shared' });
    const never = new Promise<never>(() => {});
    const wait = withCancelable(scope, () => never);
    let pending: Promise<unknown> | undefined;
    const run = scope.run(async (s) => {
      pending = wait().catch((error: unknown) => error);
      await Promise.resolve();
      s.cancel('stop');
      expect(await pending).toBe(s.cancelError);
      await expect(wait()).rejects.toBe(s.cancelError);
    });
    // The body handled the cancellation and returned within the grace: the run completes (SPEC §3).
    await run;
    expect(scope.cancelError).toBeInstanceOf(ManualCancelation);
  });

  it('sees a cancellation of an enclosing scope', async () => {
    const outer = new Cancelable({ name: 'outer' });
    let inner: Cancelable | undefined;
    const run = outer.run(async (o) => {
      inner = new Cancelable({ name: 'inner' });
      const wait = withCancelable(inner, (s) => s.sleep(60_000));
      await inner.run(async () => {
        const pending = wait();
        o.cancel('outer stops');
        await pending;
      });
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(inner!.cancelError).toBeInstanceOf(ParentCancelation);
  });

  it('rejects with a TypeError when the scope is not running (pending or ended)', async () => {
    const scope = new Cancelable({ name: 'idle' });
    const fn = withCancelable(scope, () => 1);
    await expect(fn()).rejects.toThrow(/scope 'idle' .* is pending; withCancelable\(\) runs functions inside a running scope/);
    await scope.run(() => fn());
    await expect(fn()).rejects.toThrow(/is completed/);
  });

  it('passes fn’s value and error through, sync throws included', async () => {
    const scope = new Cancelable();
    const failure = new Error('nope');
    const ok = withCancelable(scope, (_s, a: number) => a * 2);
    const bad = withCancelable(scope, () => {
      throw failure;
    });
    await scope.run(async () => {
      await expect(ok(21)).resolves.toBe(42);
      await expect(bad()).rejects.toBe(failure);
    });
  });

  it('works as a method decorator', async () => {
    const scope = new Cancelable({ name: 'service-scope' });
    class Service {
      readonly label = 'svc';
      @withCancelable(scope)
      async describe(suffix: string): Promise<string> {
        return `${this.label}:${Cancelable.current()?.name}:${suffix}`;
      }
    }
    await expect(scope.run(() => new Service().describe('x'))).resolves.toBe('svc:service-scope:x');
    await expect(new Service().describe('y')).rejects.toThrow(TypeError);
  });

  it('validates its input', () => {
    expect(() => withCancelable({} as never, () => 1)).toThrow(/scope must be a Cancelable, got an object/);
    expect(() => withCancelable(new Cancelable(), 3 as never)).toThrow(/fn must be a function, got 3/);
    expect(() => withCancelable(new Cancelable())('x' as never)).toThrow(/fn must be a function/);
  });
});
