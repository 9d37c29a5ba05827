/**
 * The machinery shared by every wrapper: options compiled once at wrap time into a {@link WrapperSpec},
 * then one fresh scope per call.
 */
import { Cancelable } from '../cancelable.js';
import type { CancelableOptions } from '../core/index.js';
import type { CancelationSource } from '../core/source.js';
import { CancelationToken } from '../core/token.js';
import { checkDuration, checkOptionalString, checkOptions, describeValue } from '../core/validate.js';
import { AbortSignalSource, isAbortSignal } from '../sources/abort-signal.js';
import { DeadlineSource, TimeoutSource, checkTime as toEpochMs } from '../core/index.js';
import { TokenSource } from '../sources/token.js';

/**
 * Options of every wrapper: what a scope takes (except `id`: each call gets its own), plus shorthands
 * that become sources of each call's scope.
 */
export interface CancelableWrapperOptions extends Omit<CancelableOptions, 'id'> {
  /** Each call is cancelled this many milliseconds after it starts (a `TimeoutCancelation`). */
  timeout?: number;
  /** Each call is cancelled at this absolute time (a `Date` or epoch milliseconds). */
  deadline?: Date | number;
  /** Each call is cancelled when this token is cancelled. */
  token?: CancelationToken;
  /** Each call is cancelled when this AbortSignal aborts (e.g. an HTTP request's signal). */
  abortSignal?: AbortSignal;
}

/** A function that runs in a scope: the scope comes first, then the caller's arguments. */
export type ScopedFunction<This, A extends unknown[], R> = (this: This, scope: Cancelable, ...args: A) => R;

/** What a wrapper returns: the same arguments without the scope, and always a promise. */
export type CancelableFunction<This, A extends unknown[], R> = (this: This, ...args: A) => Promise<Awaited<R>>;

/** An async method that a wrapper can decorate (the decorator cannot change its type, so it must return a promise). */
export type AsyncMethod<This, A extends unknown[], R> = (this: This, ...args: A) => Promise<R>;

/**
 * What `cancelable(options)` (and the other wrappers without a function) return: call it with a function
 * to wrap it, or use it as a TypeScript 5 (TC39 standard) method decorator.
 *
 * @example
 * ```ts
 * const withBudget = cancelable({ timeout: 5_000 });
 * const load = withBudget(async (scope, id: string) => fetchUser(id, scope.signal));
 * class Api { @withBudget async ping(): Promise<void> { await Cancelable.current()!.sleep(10); } }
 * ```
 */
export interface CancelableWrapper {
  /** Used as a method decorator: each call of the method runs in its own scope ({@link Cancelable.current}). */
  <This, A extends unknown[], R>(
    method: AsyncMethod<This, A, R>,
    context: ClassMethodDecoratorContext<This, AsyncMethod<This, A, R>>,
  ): AsyncMethod<This, A, R>;
  /** Wraps `fn`: each call runs `fn(scope, ...args)` in its own scope. */
  <A extends unknown[], R, This = unknown>(fn: ScopedFunction<This, A, R>): CancelableFunction<This, A, R>;
}

/** @internal Everything a wrapper needs per call, compiled (and validated) once. */
export interface WrapperSpec {
  /** The explicit name, or undefined to name each scope after the function or method. */
  readonly name: string | undefined;
  /** Options of each call's scope, without `name` and `metadata`. */
  readonly base: CancelableOptions;
  /** Copied into each call's scope (scopes own their metadata). */
  readonly metadata: Record<string, unknown> | undefined;
  /** Builds one call's scope. */
  readonly create: (options: CancelableOptions) => Cancelable;
}

const newScope = (options: CancelableOptions): Cancelable => new Cancelable(options);

/**
 * @internal Validates wrapper options and compiles them. `create` builds a call's scope from the
 * compiled options (default `new Cancelable(options)`); it is called once here, eagerly, so that bad
 * input throws at wrap time rather than at the first call.
 */
export function compileSpec(
  options: unknown,
  extraSources?: readonly CancelationSource[],
  create: (options: CancelableOptions) => Cancelable = newScope,
): WrapperSpec {
  checkOptions('options', options);
  const given = (options ?? {}) as CancelableWrapperOptions & { id?: unknown };
  const { timeout, deadline, token, abortSignal, metadata, name, id, ...rest } = given;
  if (id !== undefined) {
    throw new TypeError(
      `options.id cannot be given to a wrapper: each call runs in its own scope with its own id (got ${describeValue(id)})`,
    );
  }
  checkOptionalString('options.name', name);
  if (rest.sources !== undefined && !Array.isArray(rest.sources)) {
    throw new TypeError(`options.sources must be an array of CancelationSource, got ${describeValue(rest.sources)}`);
  }
  const sources: CancelationSource[] = rest.sources === undefined ? [] : rest.sources.slice();
  if (timeout !== undefined) sources.push(new TimeoutSource(checkDuration('options.timeout', timeout)));
  if (deadline !== undefined) sources.push(new DeadlineSource(toEpochMs('options.deadline', deadline)));
  if (token !== undefined) {
    if (!(token instanceof CancelationToken)) {
      throw new TypeError(`options.token must be a CancelationToken, got ${describeValue(token)}`);
    }
    sources.push(new TokenSource(token));
  }
  if (abortSignal !== undefined) {
    if (!isAbortSignal(abortSignal)) {
      throw new TypeError(`options.abortSignal must be an AbortSignal, got ${describeValue(abortSignal)}`);
    }
    sources.push(new AbortSignalSource(abortSignal));
  }
  if (extraSources !== undefined) sources.push(...extraSources);
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object')) {
    throw new TypeError(`options.metadata must be an object, got ${describeValue(metadata)}`);
  }
  const base: CancelableOptions = { ...rest, sources };
  // Eager validation of everything else (parent, register, graceMs, clock, factory arguments...).
  create(metadata === undefined ? base : { ...base, metadata });
  return { name, base, metadata, create };
}

/** @internal Whether `value` is a TC39 decorator context (the second argument a decorator gets). */
export function isDecoratorContext(value: unknown): value is DecoratorContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === 'string' &&
    'name' in value &&
    typeof (value as { addInitializer?: unknown }).addInitializer === 'function'
  );
}

/** @internal Options of one call's scope. */
function callOptions(spec: WrapperSpec, options: CancelableOptions): CancelableOptions {
  const metadata = spec.metadata;
  return metadata === undefined ? options : { ...options, metadata: { ...metadata } };
}

/** @internal Wraps `fn` so that each call runs `fn(scope, ...args)` in a new scope built from `spec`. */
export function wrapFunction<This, A extends unknown[], R>(
  spec: WrapperSpec,
  fn: ScopedFunction<This, A, R>,
  label = 'fn',
): CancelableFunction<This, A, R> {
  if (typeof fn !== 'function') throw new TypeError(`${label} must be a function, got ${describeValue(fn)}`);
  const name = spec.name ?? (fn.name !== '' ? fn.name : undefined);
  const options = name === undefined ? spec.base : { ...spec.base, name };
  const wrapped = function (this: This, ...args: A): Promise<Awaited<R>> {
    let scope: Cancelable;
    try {
      scope = spec.create(callOptions(spec, options));
    } catch (error) {
      return Promise.reject(error);
    }
    // `function` keeps the caller's `this` for fn (wrapped functions can be used as methods).
    return scope.run((inner) => fn.call(this, inner, ...args)) as Promise<Awaited<R>>;
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  return wrapped;
}

/**
 * @internal Decorates a class method: each call runs the method, with its own arguments and `this`, in
 * a new scope named `ClassName.method` (the class that declares it), reachable as `Cancelable.current()`.
 */
export function decorateMethod<This, A extends unknown[], R>(
  spec: WrapperSpec,
  method: AsyncMethod<This, A, R>,
  context: DecoratorContext,
  decorator: string,
): AsyncMethod<This, A, R> {
  if (context.kind !== 'method') {
    throw new TypeError(`@${decorator} decorates class methods only, not a ${context.kind} ('${String(context.name)}')`);
  }
  if (typeof method !== 'function') {
    throw new TypeError(`@${decorator}: the decorated method must be a function, got ${describeValue(method)}`);
  }
  const key = context.name;
  const label = typeof key === 'symbol' ? `[${key.description ?? ''}]` : key;
  const isStatic = context.static;
  // Fixed once the declaring class is known (or at once with an explicit name).
  let fixed = spec.name === undefined ? undefined : { ...spec.base, name: spec.name };
  const replacement = function (this: This, ...args: A): Promise<R> {
    let options = fixed;
    if (options === undefined) {
      const owner = declaringClassName(this, key, replacement, isStatic);
      options = { ...spec.base, name: owner.name === undefined ? label : `${owner.name}.${label}` };
      if (owner.exact) fixed = options;
    }
    let scope: Cancelable;
    try {
      scope = spec.create(callOptions(spec, options));
    } catch (error) {
      return Promise.reject(error);
    }
    return scope.run(() => method.apply(this, args));
  };
  Object.defineProperty(replacement, 'name', { value: method.name, configurable: true });
  return replacement;
}

/**
 * The name of the class that declares `key` as `replacement` (found on the prototype chain, `exact`),
 * else the runtime class of `self` (private methods, stacked decorators, methods moved elsewhere).
 */
function declaringClassName(
  self: unknown,
  key: string | symbol,
  replacement: unknown,
  isStatic: boolean,
): { name: string | undefined; exact: boolean } {
  if ((typeof self !== 'object' && typeof self !== 'function') || self === null) return { name: undefined, exact: false };
  let holder = (isStatic ? self : Object.getPrototypeOf(self)) as object | null;
  while (holder !== null) {
    if (Object.getOwnPropertyDescriptor(holder, key)?.value === replacement) {
      const cls = isStatic ? holder : (holder as { constructor?: unknown }).constructor;
      return { name: className(cls), exact: true };
    }
    holder = Object.getPrototypeOf(holder) as object | null;
  }
  return { name: className(isStatic ? self : (self as { constructor?: unknown }).constructor), exact: false };
}

function className(cls: unknown): string | undefined {
  if (typeof cls !== 'function') return undefined;
  return cls.name !== '' ? cls.name : '<anonymous class>';
}

/**
 * @internal The callable returned by a wrapper given no function: wraps a function, or decorates a
 * method when its second argument is a decorator context.
 */
export function makeWrapper(spec: WrapperSpec, decorator: string): CancelableWrapper {
  const wrapper = (target: unknown, context?: unknown): unknown => {
    if (context !== undefined) {
      if (!isDecoratorContext(context)) {
        throw new TypeError(
          `${decorator}(...)(fn) takes one argument (or is used as a decorator), got a second: ${describeValue(context)}`,
        );
      }
      return decorateMethod(spec, target as AsyncMethod<unknown, unknown[], unknown>, context, decorator);
    }
    return wrapFunction(spec, target as ScopedFunction<unknown, unknown[], unknown>);
  };
  return wrapper as CancelableWrapper;
}
