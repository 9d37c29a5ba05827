/**
 * Type-level tests: `tsc --noEmit -p .` checks this file (tsconfig includes test/). Every
 * `@ts-expect-error` line must be an error, or tsc fails ("Unused '@ts-expect-error' directive").
 * The code that would be wrong at runtime sits in functions that are never called.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  OperationRegistry,
  cancelable,
  cancelableCombine,
  cancelableWithCondition,
  cancelableWithSignal,
  cancelableWithToken,
  withCancelable,
  withTimeout,
  type CancelableWrapper,
  type OperationContext,
  type RegistryEvent,
  type RegistryStats,
} from '../../src/index.js';

interface User {
  id: string;
  name: string;
}

describe('wrapped function types', () => {
  it('drops the scope parameter and returns a promise of the awaited result', () => {
    const fetchUser = cancelable({ timeout: 1_000 }, async (_scope: Cancelable, id: string, retries?: number): Promise<User> => {
      return { id, name: `u${retries ?? 0}` };
    });
    expectTypeOf(fetchUser).parameters.toEqualTypeOf<[id: string, retries?: number]>();
    expectTypeOf(fetchUser).returns.toEqualTypeOf<Promise<User>>();

    const sync = cancelable({}, (_scope, a: number, b: number) => a + b);
    expectTypeOf(sync).toEqualTypeOf<(this: unknown, a: number, b: number) => Promise<number>>();

    const curried = cancelable({ name: 'x' })(async (scope, flag: boolean) => (flag ? scope.id : null));
    expectTypeOf(curried).parameters.toEqualTypeOf<[flag: boolean]>();
    expectTypeOf(curried).returns.toEqualTypeOf<Promise<string | null>>();

    const noOptions = cancelable(async (_scope) => 1);
    expectTypeOf(noOptions).returns.toEqualTypeOf<Promise<number>>();

    expectTypeOf(cancelable({ timeout: 5 })).toEqualTypeOf<CancelableWrapper>();
  });

  it('the scope parameter is a Cancelable', () => {
    cancelable({}, (scope) => {
      expectTypeOf(scope).toEqualTypeOf<Cancelable>();
    });
    cancelableWithToken(new CancelationToken(), (scope) => {
      expectTypeOf(scope).toEqualTypeOf<Cancelable>();
    });
  });

  it('a wrong argument is a compile error', () => {
    const fetchUser = cancelable({}, async (_scope, id: string): Promise<User> => ({ id, name: '' }));
    const never = (): void => {
      // @ts-expect-error -- a number is not a string
      void fetchUser(42);
      // @ts-expect-error -- missing argument
      void fetchUser();
      // @ts-expect-error -- too many arguments
      void fetchUser('a', 'b');
      // @ts-expect-error -- the result is a promise, not a User
      const user: User = fetchUser('a');
      void user;
    };
    void never;
  });

  it('bad options and bad functions are compile errors', () => {
    const never = (): void => {
      // @ts-expect-error -- timeout is a number of milliseconds
      cancelable({ timeout: '5s' }, async () => 1);
      // @ts-expect-error -- a wrapper's calls each get their own id
      cancelable({ id: 'fixed' }, async () => 1);
      // @ts-expect-error -- the first parameter receives the scope, not a string
      cancelable({}, async (name: string) => name);
      // @ts-expect-error -- a token must be a CancelationToken
      cancelableWithToken('token', async () => 1);
      // @ts-expect-error -- signal names are NodeJS.Signals
      cancelableWithSignal('SIGNOPE', async () => 1);
      // @ts-expect-error -- the predicate returns a boolean
      cancelableWithCondition(() => 'yes', 100, async () => 1);
    };
    void never;
  });

  it('specialised wrappers keep the same shape', () => {
    const token = new CancelationToken();
    const a = cancelableWithToken(token, async (_s, n: number) => n * 2);
    expectTypeOf(a).parameters.toEqualTypeOf<[n: number]>();
    expectTypeOf(a).returns.toEqualTypeOf<Promise<number>>();
    const b = cancelableWithSignal(['SIGINT'], (_s, text: string) => text.length);
    expectTypeOf(b).returns.toEqualTypeOf<Promise<number>>();
    const c = cancelableWithCondition(() => false, 50, async (_s) => 'done' as const);
    expectTypeOf(c).returns.toEqualTypeOf<Promise<'done'>>();
    const d = cancelableCombine([token, Cancelable.withTimeout(10)], async (_s, x: Date) => x.getTime());
    expectTypeOf(d).parameters.toEqualTypeOf<[x: Date]>();
    const e = withCancelable(new Cancelable(), async (scope, key: string) => scope.metadata[key]);
    expectTypeOf(e).returns.toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(cancelableWithToken(token)).toEqualTypeOf<CancelableWrapper>();
  });

  it('withTimeout: a promise or a function of the scope', () => {
    expectTypeOf(withTimeout(10, Promise.resolve(3))).toEqualTypeOf<Promise<number>>();
    const fromFn = withTimeout(10, async (scope) => scope.name);
    expectTypeOf(fromFn).toEqualTypeOf<Promise<string>>();
    void fromFn;
    const never = (): void => {
      // @ts-expect-error -- neither a promise nor a function
      void withTimeout(10, 'value');
    };
    void never;
  });
});

describe('decorator types', () => {
  it('keeps the method type for callers', () => {
    class Api {
      @cancelable({ timeout: 1_000 })
      async get(path: string): Promise<number> {
        return path.length;
      }
    }
    const api = new Api();
    expectTypeOf(api.get).toEqualTypeOf<(path: string) => Promise<number>>();
    const never = (): void => {
      // @ts-expect-error -- a number is not a string
      void api.get(1);
    };
    void never;
  });

  it('refuses a method that does not return a promise', () => {
    class Sync {
      // @ts-expect-error -- the decorated method must be async (each call runs in a scope)
      @cancelable()
      compute(x: number): number {
        return x;
      }
    }
    void Sync;
  });
});

describe('registry types', () => {
  it('returns snapshots and a live scope', () => {
    const registry = new OperationRegistry();
    expectTypeOf(registry.list()).toEqualTypeOf<OperationContext[]>();
    expectTypeOf(registry.history({ limit: 5 })).toEqualTypeOf<OperationContext[]>();
    expectTypeOf(registry.get('id')).toEqualTypeOf<Cancelable | undefined>();
    expectTypeOf(registry.cancel('id')).toEqualTypeOf<boolean>();
    expectTypeOf(registry.cancelAll({ name: /x/ })).toEqualTypeOf<number>();
    expectTypeOf(registry.stats()).toEqualTypeOf<RegistryStats>();
    const off = registry.subscribe((event) => {
      expectTypeOf(event).toEqualTypeOf<RegistryEvent>();
      expectTypeOf(event.type).toEqualTypeOf<'start' | 'progress' | 'end'>();
    });
    expectTypeOf(off).toEqualTypeOf<() => void>();
    off();
    const never = (): void => {
      // @ts-expect-error -- not a status
      registry.list({ status: 'paused' });
      // @ts-expect-error -- name is a string or a RegExp
      registry.list({ name: 3 });
    };
    void never;
  });
});
