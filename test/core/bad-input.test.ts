/**
 * Bad input throws a TypeError or RangeError at the call that got it, naming the parameter and value.
 */
import { describe, expect, it } from 'vitest';
import {
  AbortSignalSource,
  Cancelable,
  CancelationSource,
  CancelationToken,
  DeadlineSource,
  TimeoutSource,
  TokenSource,
} from '../../src/index.js';

function throws(fn: () => unknown, type: typeof TypeError | typeof RangeError, ...parts: (string | RegExp)[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, 'expected a synchronous throw').toBeInstanceOf(type);
  for (const part of parts) {
    if (typeof part === 'string') expect((error as Error).message).toContain(part);
    else expect((error as Error).message).toMatch(part);
  }
}

describe('durations', () => {
  const bad: [unknown, typeof TypeError | typeof RangeError, string][] = [
    [-1, RangeError, '-1'],
    [Number.NaN, RangeError, 'NaN'],
    [Infinity, RangeError, 'Infinity'],
    [-Infinity, RangeError, '-Infinity'],
    ['100', TypeError, '"100"'],
    [undefined, TypeError, 'undefined'],
    [null, TypeError, 'null'],
    [10n, TypeError, '10n'],
  ];

  it.each(bad)('withTimeout(%s) -> %s naming ms', (value, type, shown) => {
    throws(() => Cancelable.withTimeout(value as number), type, 'ms must be', shown);
  });

  it.each(bad)('new TimeoutSource(%s) -> %s naming timeoutMs', (value, type, shown) => {
    throws(() => new TimeoutSource(value as number), type, 'timeoutMs must be', shown);
  });

  it.each(bad)('scope.sleep(%s) -> %s naming ms, synchronously', async (value, type, shown) => {
    await new Cancelable().run((s) => {
      throws(() => s.sleep(value as number), type, 'ms must be', shown);
    });
  });

  it.each(bad)('shield({ timeout: %s }) -> %s naming options.timeout', async (value, type, shown) => {
    if (value === undefined) return; // no timeout: allowed
    await new Cancelable().run((s) => {
      throws(() => s.shield(() => 1, { timeout: value as number }), type, 'options.timeout', shown);
      expect(s.activeShields).toBe(0);
    });
  });

  it('graceMs: negative or NaN is a RangeError; Infinity is allowed', () => {
    throws(() => new Cancelable({ graceMs: -5 }), RangeError, 'options.graceMs', '-5');
    throws(() => new Cancelable({ graceMs: Number.NaN }), RangeError, 'options.graceMs', 'NaN');
    throws(() => new Cancelable({ graceMs: '10' as unknown as number }), TypeError, 'options.graceMs', '"10"');
    expect(new Cancelable({ graceMs: Infinity }).graceMs).toBe(Infinity);
    throws(() => Cancelable.withTimeout(10, { graceMs: -1 }), RangeError, 'options.graceMs');
  });

  it('deadlines: invalid dates and non-finite numbers are RangeErrors; other types TypeErrors', () => {
    throws(() => Cancelable.withDeadline(new Date('not a date')), RangeError, 'deadline', 'Date');
    throws(() => new DeadlineSource(Number.NaN), RangeError, 'deadline', 'NaN');
    throws(() => new DeadlineSource(Infinity), RangeError, 'deadline', 'Infinity');
    throws(() => new DeadlineSource('2030-01-01' as unknown as number), TypeError, 'deadline', '"2030-01-01"');
  });
});

describe('functions', () => {
  it.each([42, 'body', null, undefined, {}])('run(%s) throws a TypeError at once, naming body', (value) => {
    const scope = new Cancelable();
    throws(() => scope.run(value as never), TypeError, 'body must be a function');
    expect(scope.status).toBe('pending'); // nothing started
  });

  it('callbacks must be functions', () => {
    const scope = new Cancelable();
    for (const register of ['onStart', 'onComplete', 'onCancel', 'onError', 'onProgress'] as const) {
      throws(() => scope[register](42 as never), TypeError, 'callback must be a function', '42');
    }
    throws(() => new CancelationToken().onCancel('x' as never), TypeError, 'callback must be a function', '"x"');
  });

  it('shield(body) and wrap(fn) need functions', async () => {
    await new Cancelable().run((s) => {
      throws(() => s.shield(null as never), TypeError, 'body must be a function', 'null');
      throws(() => s.wrap(7 as never), TypeError, 'fn must be a function', '7');
    });
  });
});

describe('lifecycle misuse', () => {
  it('starting a scope twice throws a TypeError at once, naming the scope and its status', async () => {
    const scope = new Cancelable({ name: 'once', id: 'id-1' });
    const first = scope.run(() => Promise.resolve());
    throws(() => scope.run(() => undefined), TypeError, "run(): scope 'once' (id-1) was already started (status running)");
    await first;
    throws(() => scope.run(() => undefined), TypeError, 'status completed', 'a scope runs once');
    throws(() => scope.enter(), TypeError, "enter(): scope 'once'");
  });

  it('shield() on a scope that is not running', async () => {
    const scope = new Cancelable({ name: 'idle' });
    throws(() => scope.shield(() => 1), TypeError, "shield() needs a running scope; 'idle' is pending");
    await scope.run(() => undefined);
    throws(() => scope.shield(() => 1), TypeError, "'idle' is completed");
  });

  it('addSource() after start', async () => {
    const scope = new Cancelable({ name: 'started' });
    await scope.run(() => {
      throws(() => scope.addSource(new TimeoutSource(1)), TypeError, 'addSource() must be called before', "'started'");
    });
    throws(() => new Cancelable().addSource({} as never), TypeError, 'source must be a CancelationSource', 'an object');
  });
});

describe('options and arguments', () => {
  it('constructor options', () => {
    throws(() => new Cancelable(42 as never), TypeError, 'options must be an options object', '42');
    throws(() => new Cancelable({ name: 5 as never }), TypeError, 'options.name must be a string', '5');
    throws(() => new Cancelable({ id: '' }), RangeError, 'options.id');
    throws(() => new Cancelable({ parent: {} as never }), TypeError, 'options.parent must be a Cancelable or null');
    throws(() => new Cancelable({ sources: 'x' as never }), TypeError, 'options.sources must be an array', '"x"');
    throws(() => new Cancelable({ sources: [new TimeoutSource(1), 3 as never] }), TypeError, 'options.sources[1]', '3');
    throws(() => new Cancelable({ metadata: 'm' as never }), TypeError, 'options.metadata must be an object', '"m"');
    throws(() => new Cancelable({ register: 'yes' as never }), TypeError, 'options.register', '"yes"');
    throws(() => new Cancelable({ clock: {} as never }), TypeError, 'options.clock must be a Clock');
  });

  it('constructor options: every other bad value, named', () => {
    throws(() => new Cancelable({ id: 42 as never }), TypeError, 'options.id must be a string', '42');
    throws(() => new Cancelable({ timeout: -1 }), RangeError, 'options.timeout must be', '-1');
    throws(() => new Cancelable({ deadline: 'soon' as never }), TypeError, 'options.deadline must be', '"soon"');
    throws(() => new Cancelable({ metadata: null as never }), TypeError, 'options.metadata must be an object', 'null');
    throws(() => new Cancelable({ logger: null as never }), TypeError, 'options.logger must be an object with debug/info/warn/error methods, got null');
    throws(() => new Cancelable({ logger: 'console' as never }), TypeError, 'options.logger must be an object', '"console"');
    const functionLikeScope = Object.assign(() => undefined, { run: () => undefined, isCancelled: false });
    for (const parent of [42, 'parent', { run: () => undefined }, { isCancelled: false }, { run: 1, isCancelled: false }, functionLikeScope]) {
      throws(() => new Cancelable({ parent: parent as never }), TypeError, 'options.parent must be a Cancelable or null');
    }
    const observer = { scopeStarted: () => undefined, scopeProgress: () => undefined, scopeEnded: () => undefined };
    const functionObserver = Object.assign(() => undefined, observer);
    for (const register of [null, 1, {}, { ...observer, scopeStarted: undefined }, { ...observer, scopeEnded: 'no' }, functionObserver]) {
      throws(() => new Cancelable({ register: register as never }), TypeError, 'options.register must be a boolean or an OperationRegistry');
    }
    // The good values of the same options.
    for (const register of [true, false, observer]) expect(new Cancelable({ register }).status).toBe('pending');
    expect(new Cancelable({ parent: null, logger: console }).parent).toBeUndefined();
  });

  it('cancel() arguments (scope and token)', () => {
    const scope = new Cancelable();
    throws(() => scope.cancel(42 as never), TypeError, 'message must be a string or { reason?, message? }', '42');
    throws(() => scope.cancel({ reason: 'bogus' as never }), TypeError, 'message.reason must be one of', '"bogus"');
    throws(() => scope.cancel({ message: 1 as never }), TypeError, 'message.message must be a string', '1');
    expect(scope.isCancelled).toBe(false);
    const token = new CancelationToken();
    throws(() => token.cancelSync(null as never), TypeError, 'null');
    throws(() => void token.cancel(false as never), TypeError, 'false');
    expect(token.isCancelled).toBe(false);
  });

  it('factories and sources check their arguments', () => {
    throws(() => Cancelable.withToken('t' as never), TypeError, 'token must be a CancelationToken', '"t"');
    throws(() => new TokenSource({} as never), TypeError, 'token must be a CancelationToken', 'an object');
    throws(() => Cancelable.withAbortSignal(null as never), TypeError, 'signal must be an AbortSignal', 'null');
    throws(() => new AbortSignalSource({} as never), TypeError, 'signal must be an AbortSignal');
    throws(() => Cancelable.combine('x' as never), TypeError, 'items must be an array', '"x"');
    throws(() => Cancelable.combine([new TimeoutSource(1), 5 as never]), TypeError, 'items[1] must be a Cancelable', '5');
    throws(() => Cancelable.combine([], { sources: 5 as never }), TypeError, 'options.sources must be an array', '5');
    throws(() => Cancelable.combine([], 'opts' as never), TypeError, 'options must be an options object', '"opts"');
    throws(() => new TimeoutSource(1, 'name' as never), TypeError, 'options must be an options object');
  });

  it('reportProgress checks its arguments', async () => {
    await new Cancelable().run((s) => {
      throws(() => s.reportProgress(1 as never), TypeError, 'message must be a string', '1');
      throws(() => s.reportProgress('ok', 'meta' as never), TypeError, 'metadata must be an object', '"meta"');
      throws(() => s.reportProgress('ok', null as never), TypeError, 'metadata must be an object', 'null');
    });
  });

  it('custom sources check their options', () => {
    class Custom extends CancelationSource {
      start(): void {}
      stop(): void {}
    }
    throws(() => new Custom({ reason: 'nope' as never }), TypeError, 'options.reason must be one of', '"nope"');
    throws(() => new Custom({ name: 3 as never }), TypeError, 'options.name must be a string', '3');
    expect(new Custom().name).toBe('Custom');
    expect(new Custom().reason).toBe('manual');
  });
});
