import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  CancelationSource,
  CancelationToken,
  ManualCancelation,
  OperationRegistry,
  ParentCancelation,
  TimeoutCancelation,
  cancelable,
} from '../../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('cancelable(options, fn)', () => {
  it('runs each call in its own scope, passed first and current, with the arguments and value', async () => {
    const seen: { scope: Cancelable; current: Cancelable | undefined; args: unknown[] }[] = [];
    const add = cancelable({}, async (scope, a: number, b: number) => {
      await Promise.resolve();
      seen.push({ scope, current: Cancelable.current(), args: [a, b] });
      return a + b;
    });
    await expect(add(1, 2)).resolves.toBe(3);
    await expect(add(3, 4)).resolves.toBe(7);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.current).toBe(seen[0]!.scope);
    expect(seen[0]!.args).toEqual([1, 2]);
    expect(seen[0]!.scope).not.toBe(seen[1]!.scope);
    expect(seen[0]!.scope.status).toBe('completed');
  });

  it('gives concurrent calls distinct scopes and ids', async () => {
    const ids: string[] = [];
    const work = cancelable({}, async (scope, n: number) => {
      ids.push(scope.id);
      await scope.sleep(1);
      expect(Cancelable.current()).toBe(scope); // still ours after the await, despite the other calls
      return n;
    });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => work(i)));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(new Set(ids).size).toBe(200);
  });

  it('names scopes after the function by default, or the name option', async () => {
    const names: string[] = [];
    // The function's own name: an inline arrow has none (the const name belongs to the wrapper).
    const fetchUser = cancelable({}, function loadUser(scope) {
      names.push(scope.name);
    });
    const renamed = cancelable({ name: 'custom' }, (scope) => void names.push(scope.name));
    const anonymous = cancelable({}, [(scope: Cancelable) => void names.push(scope.name)][0]!);
    await fetchUser();
    await renamed();
    await anonymous();
    expect(names).toEqual(['loadUser', 'custom', 'operation']);
    expect(fetchUser.name).toBe('loadUser');
  });

  it('passes `this` through to fn', async () => {
    const counter = {
      step: 2,
      bump: cancelable({}, function (this: { step: number }, _scope, n: number) {
        return n + this.step;
      }),
    };
    await expect(counter.bump(40)).resolves.toBe(42);
  });

  it('accepts a sync fn, and turns its throw into a rejection (never a sync throw)', async () => {
    const sync = cancelable({}, (_scope, x: string) => x.toUpperCase());
    await expect(sync('a')).resolves.toBe('A');
    const failure = new Error('boom');
    const throws = cancelable({}, () => {
      throw failure;
    });
    let promise: Promise<never> | undefined;
    expect(() => {
      promise = throws();
    }).not.toThrow();
    await expect(promise).rejects.toBe(failure);
  });

  it('rejects with fn’s own error unchanged, status failed', async () => {
    let scope: Cancelable | undefined;
    const failure = new TypeError('bad');
    const fails = cancelable({}, async (s) => {
      scope = s;
      await Promise.resolve();
      throw failure;
    });
    await expect(fails()).rejects.toBe(failure);
    expect(scope!.status).toBe('failed');
  });

  it('applies the timeout option to every call, counted from its own start', async () => {
    vi.useFakeTimers();
    const slow = cancelable({ timeout: 1_000 }, async (scope, ms: number) => {
      await scope.sleep(ms);
      return ms;
    });
    const fast = slow(500);
    const tooSlow = slow(5_000);
    const caught = tooSlow.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(600);
    await expect(fast).resolves.toBe(500);
    const later = slow(900); // starts at t=600: its own 1 s budget
    await vi.advanceTimersByTimeAsync(500);
    const error = await caught;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as TimeoutCancelation).timeoutMs).toBe(1_000);
    await vi.advanceTimersByTimeAsync(500);
    await expect(later).resolves.toBe(900);
  });

  it('applies the token, abortSignal and deadline options', async () => {
    const token = new CancelationToken();
    const byToken = cancelable({ token }, (scope) => scope.sleep(60_000));
    const p1 = byToken();
    await token.cancel('stop now');
    await expect(p1).rejects.toMatchObject({ reason: 'manual', message: 'stop now' });
    await expect(byToken()).rejects.toBeInstanceOf(ManualCancelation); // token already cancelled: starts cancelled

    const controller = new AbortController();
    const bySignal = cancelable({ abortSignal: controller.signal }, (scope) => scope.sleep(60_000));
    const p2 = bySignal();
    controller.abort();
    await expect(p2).rejects.toMatchObject({ reason: 'manual' });

    const byDeadline = cancelable({ deadline: Date.now() - 1 }, (scope) => scope.sleep(60_000));
    await expect(byDeadline()).rejects.toBeInstanceOf(TimeoutCancelation);
  });

  it('copies metadata per call and never mutates the options', async () => {
    const options = { metadata: { kind: 'job' } as Record<string, unknown> };
    const seen: Record<string, unknown>[] = [];
    const job = cancelable(options, (scope, n: number) => {
      seen.push({ ...scope.metadata });
      scope.metadata.n = n;
    });
    await job(1);
    await job(2);
    expect(seen).toEqual([{ kind: 'job' }, { kind: 'job' }]);
    expect(options.metadata).toEqual({ kind: 'job' });
  });

  it('makes a call started inside a running scope its child', async () => {
    const child = cancelable({}, (scope) => scope.sleep(60_000));
    const parent = new Cancelable({ name: 'parent' });
    let childPromise: Promise<void> | undefined;
    const run = parent.run(async (p) => {
      childPromise = child();
      await Promise.resolve();
      p.cancel('parent stops');
      await childPromise;
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    const error = await childPromise!.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParentCancelation);
    expect((error as ParentCancelation).parentId).toBe(parent.id);
  });

  it('honours parent: null (detached) and an explicit parent', async () => {
    const outer = new Cancelable({ name: 'outer' });
    const explicitParent = new Cancelable({ name: 'explicit' });
    const parents: (string | undefined)[] = [];
    const detached = cancelable({ parent: null }, (scope) => void parents.push(scope.parent?.name));
    await explicitParent.run(async () => {
      const attached = cancelable({ parent: explicitParent }, (scope) => void parents.push(scope.parent?.name));
      await outer.run(async () => {
        await detached();
        await attached();
      });
    });
    expect(parents).toEqual([undefined, 'explicit']);
  });

  it('registers every call with register: true, each under its own id', async () => {
    const registry = OperationRegistry.default;
    const before = registry.size;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const job = cancelable({ register: true, name: 'wrapped-registered' }, (scope) => scope.race(gate));
    const calls = [job(), job(), job()];
    const live = registry.list({ name: 'wrapped-registered' });
    expect(live).toHaveLength(3);
    expect(new Set(live.map((c) => c.id)).size).toBe(3);
    release();
    await Promise.all(calls);
    expect(registry.size).toBe(before);
  });

  it('shares built-in sources between calls; a custom source serves one call at a time', async () => {
    class Manual extends CancelationSource {
      fire?: (message?: string) => void;
      start(trigger: (message?: string) => void): void {
        this.fire = trigger;
      }
      stop(): void {
        this.fire = undefined;
      }
    }
    const source = new Manual();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const job = cancelable({ sources: [source] }, (scope) => scope.race(gate));
    const first = job();
    await expect(job()).rejects.toThrow(/already in use by another scope/);
    release();
    await first;
    await expect(job()).resolves.toBeUndefined(); // free again once the first call ended
  });
});

describe('cancelable(options)(fn) and cancelable(fn)', () => {
  it('returns a reusable wrapper', async () => {
    const withBudget = cancelable({ name: 'budgeted' });
    const a = withBudget(async (scope, x: number) => `${scope.name}:${x}`);
    const b = withBudget((scope) => scope.id);
    await expect(a(1)).resolves.toBe('budgeted:1');
    const [id1, id2] = await Promise.all([b(), b()]);
    expect(id1).not.toBe(id2);
  });

  it('cancelable() and cancelable(fn) use default options', async () => {
    await expect(cancelable()(async (scope) => scope.status)()).resolves.toBe('running');
    const named = cancelable(async function ping(scope) {
      return scope.name;
    });
    await expect(named()).resolves.toBe('ping');
  });
});

describe('cancelable: bad input throws at wrap time', () => {
  const fn = (): void => {};
  it.each([
    ['options not an object', () => cancelable(42 as never, fn), TypeError, /options must be an options object, got 42/],
    ['an id', () => cancelable({ id: 'x' } as never, fn), TypeError, /options.id cannot be given to a wrapper/],
    ['negative timeout', () => cancelable({ timeout: -1 }, fn), RangeError, /options.timeout .* got -1/],
    ['string timeout', () => cancelable({ timeout: '5' as never }, fn), TypeError, /options.timeout must be a number/],
    ['bad deadline', () => cancelable({ deadline: 'soon' as never }, fn), TypeError, /options.deadline/],
    ['bad token', () => cancelable({ token: {} as never }, fn), TypeError, /options.token must be a CancelationToken/],
    ['bad abortSignal', () => cancelable({ abortSignal: 1 as never }, fn), TypeError, /options.abortSignal/],
    ['bad name', () => cancelable({ name: 3 as never }, fn), TypeError, /options.name must be a string/],
    ['bad parent', () => cancelable({ parent: {} as never }, fn), TypeError, /options.parent/],
    ['bad register', () => cancelable({ register: 'yes' as never }, fn), TypeError, /options.register/],
    ['bad graceMs', () => cancelable({ graceMs: -5 }, fn), RangeError, /options.graceMs/],
    ['bad sources', () => cancelable({ sources: 'x' as never }, fn), TypeError, /options.sources/],
    ['bad metadata', () => cancelable({ metadata: 1 as never }, fn), TypeError, /options.metadata/],
    ['fn not a function', () => cancelable({}, 'nope' as never), TypeError, /fn must be a function, got "nope"/],
    ['wrapper given a non-function', () => cancelable({})(5 as never), TypeError, /fn must be a function, got 5/],
    ['extra argument to cancelable(fn)', () => cancelable(fn as never, {} as never), TypeError, /no second argument/],
  ])('%s', (_label, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});

describe('retention', () => {
  it('a wrapped function keeps no reference to the scopes of its ended calls', async () => {
    const { expectCollected } = await import('../harness/leaks.js');
    let last: Cancelable | undefined;
    const job = cancelable({ timeout: 60_000, register: true }, (scope) => {
      last = scope;
    });
    await expectCollected(
      async () => {
        await job();
        const scope = last!;
        last = undefined;
        return scope;
      },
      { label: 'scope of an ended call' },
    );
  });
});
