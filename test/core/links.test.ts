/**
 * What the layers above the kernel (streams, workers, processes, integrations) use to tie their work to
 * a scope (src/core/scope/links.ts): `onCancellation`, `holdScope` and `resolveScope`, for a scope of
 * this copy and for a scope of another version of the library that offers only the versioned protocols.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation, type CancelationError } from '../../src/index.js';
import { holdScope, onCancellation, resolveScope, type Hold } from '../../src/core/index.js';
import { rejection } from './helpers.js';

/** A scope of another version of the library: public getters and the versioned protocols, nothing else. */
class OtherVersionScope {
  readonly holds = new Set<Hold>();
  readonly listeners = new Set<(error: CancelationError) => void>();
  readonly id = 'other-version-id';
  readonly name = 'other-version';
  readonly isRunning = true;
  run(): never {
    throw new Error('not called');
  }
  [Symbol.for('cancelable.scope.hold.v1')](entry: Hold): () => void {
    this.holds.add(entry);
    return () => void this.holds.delete(entry);
  }
  [Symbol.for('cancelable.scope.listen.v1')](listener: (error: CancelationError) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}

const asScope = (value: unknown): Cancelable => value as Cancelable;

describe('onCancellation and holdScope', () => {
  it('on a scope of this copy: the listener hears the cancellation once; the hold keeps run() open', async () => {
    const heard: unknown[] = [];
    const order: string[] = [];
    const scope = new Cancelable({ name: 'own' });
    let release: (() => void) | undefined;
    const run = rejection(
      scope.run(async (s) => {
        onCancellation(s, (error) => void heard.push(error));
        release = holdScope(s, { cancelled: () => void order.push('hold cancelled'), stop: () => void order.push('hold stop') });
        s.cancel('stop');
        await s.sleep(1);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(heard).toEqual([scope.cancelError]);
    expect(scope.status).toBe('running'); // held
    expect(order).toEqual(['hold cancelled', 'hold stop']);
    release?.();
    expect(await run).toBe(scope.cancelError);
    expect(holdScope(scope, {})).toBeUndefined(); // ended: nothing may hold it any more
  });

  it('on a scope of another version: through its protocols only', () => {
    const other = new OtherVersionScope();
    const heard: unknown[] = [];
    const off = onCancellation(asScope(other), (error) => void heard.push(error));
    expect(other.listeners.size).toBe(1);
    const entry: Hold = {};
    const release = holdScope(asScope(other), entry);
    expect([...other.holds]).toEqual([entry]);
    const error = new ManualCancelation('other version cancelled');
    for (const listener of other.listeners) listener(error);
    expect(heard).toEqual([error]);
    off();
    release?.();
    expect(other.listeners.size).toBe(0);
    expect(other.holds.size).toBe(0);
  });

  it('holdScope on a scope of another version without the hold protocol: undefined (it cannot be held)', () => {
    const other = new OtherVersionScope() as Partial<OtherVersionScope>;
    Object.defineProperty(other, Symbol.for('cancelable.scope.hold.v1'), { value: undefined });
    expect(holdScope(asScope(other), {})).toBeUndefined();
  });
});

describe('the versioned protocols a scope of this copy serves to other copies', () => {
  it('listen (an unsubscribe function; the listener hears the cancellation) and hold (run() waits for the release)', async () => {
    const scope = new Cancelable({ name: 'served' });
    const protocol = scope as unknown as Record<symbol, (argument: unknown) => (() => void) | undefined>;
    const heard: unknown[] = [];
    const unsubscribed: unknown[] = [];
    let released = false;
    const run = rejection(
      scope.run(async (s) => {
        protocol[Symbol.for('cancelable.scope.listen.v1')]!((error: unknown) => void heard.push(error));
        const off = protocol[Symbol.for('cancelable.scope.listen.v1')]!((error: unknown) => void unsubscribed.push(error));
        off!();
        const release = protocol[Symbol.for('cancelable.scope.hold.v1')]!({});
        setTimeout(() => {
          released = true;
          release!();
        }, 5);
        s.cancel('stop');
        await s.sleep(1);
      }),
    );
    expect(await run).toBe(scope.cancelError);
    expect(released).toBe(true);
    expect(heard).toEqual([scope.cancelError]);
    expect(unsubscribed).toEqual([]);
  });
});

describe('resolveScope(scope, method)', () => {
  it.each<[string, unknown]>([
    ['42', 42],
    ['a string', 'scope'],
    ['null', null],
    ['{}', {}],
    ['an object whose run is not a function', { run: 1, isRunning: true }],
    ['an object without isRunning', { run: () => undefined }],
    ['a function carrying run and isRunning', Object.assign(() => undefined, { run: () => undefined, isRunning: true })],
  ])('options.scope = %s: a TypeError naming options.scope', (_label, value) => {
    expect(() => resolveScope(value, 'stream')).toThrow(TypeError);
    expect(() => resolveScope(value, 'stream')).toThrow(/^options\.scope must be a Cancelable, got /);
  });

  it('no scope given and none current: a TypeError naming the method', () => {
    expect(() => resolveScope(undefined, 'spawn')).toThrow(
      new TypeError('spawn() needs a scope: pass options.scope, or call it inside a running scope (Cancelable.current())'),
    );
  });

  it('the given scope, else the current one; it must be running', async () => {
    const given = new Cancelable({ name: 'given' });
    expect(() => resolveScope(given, 'spawn')).toThrow(new TypeError("spawn() needs a running scope; 'given' is pending"));
    await given.run(async (g) => {
      const current = new Cancelable({ name: 'current' });
      await current.run((c) => {
        expect(resolveScope(undefined, 'spawn')).toBe(c);
        expect(resolveScope(g, 'spawn')).toBe(g);
      });
      expect(() => resolveScope(current, 'spawn')).toThrow(new TypeError("spawn() needs a running scope; 'current' is completed"));
    });
    const other = new OtherVersionScope();
    expect(resolveScope(other, 'spawn')).toBe(other);
  });
});
