import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cancelable, TimeoutCancelation, withTimeout } from '../../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('withTimeout(ms, promise)', () => {
  it('resolves with the value of a promise that settles in time', async () => {
    vi.useFakeTimers();
    const { promise, resolve } = deferred<string>();
    const result = withTimeout(1_000, promise);
    await vi.advanceTimersByTimeAsync(999);
    resolve('ok');
    await expect(result).resolves.toBe('ok');
  });

  it('passes a rejection through unchanged', async () => {
    const failure = new Error('backend down');
    await expect(withTimeout(1_000, Promise.reject(failure))).rejects.toBe(failure);
  });

  it('rejects with a TimeoutCancelation, and handles the loser’s later rejection', async () => {
    vi.useFakeTimers();
    const { promise, reject } = deferred<string>();
    const result = withTimeout(1_000, promise, { name: 'slow-call' });
    const caught = result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    const error = (await caught) as TimeoutCancelation;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error.timeoutMs).toBe(1_000);
    expect(error.message).toBe('Operation timed out after 1000ms');
    // The original promise fails after the timeout: no unhandled rejection (vitest would fail the run).
    reject(new Error('late failure'));
    await vi.advanceTimersByTimeAsync(10);
  });

  it('accepts any thenable', async () => {
    const thenable: PromiseLike<number> = {
      then(onFulfilled) {
        return Promise.resolve(7).then(onFulfilled);
      },
    };
    await expect(withTimeout(100, thenable)).resolves.toBe(7);
  });
});

describe('withTimeout(ms, fn)', () => {
  it('calls fn with a running scope that is current, named after fn', async () => {
    const result = await withTimeout(1_000, async function loadConfig(scope) {
      expect(Cancelable.current()).toBe(scope);
      expect(scope.isRunning).toBe(true);
      return scope.name;
    });
    expect(result).toBe('loadConfig');
  });

  it('cancels the scope when the time is up: every library await rejects', async () => {
    vi.useFakeTimers();
    let seen: Cancelable | undefined;
    const result = withTimeout(500, async (scope) => {
      seen = scope;
      await scope.sleep(10_000);
      return 'never';
    });
    const caught = result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(500);
    expect(await caught).toBeInstanceOf(TimeoutCancelation);
    expect(seen!.status).toBe('cancelled');
    expect(seen!.signal.aborted).toBe(true);
  });

  it('takes scope options', async () => {
    const scope = await withTimeout(100, (s) => s, { name: 'named', metadata: { a: 1 } });
    expect(scope.name).toBe('named');
    expect(scope.metadata).toEqual({ a: 1 });
  });
});

describe('withTimeout: bad input', () => {
  it('throws at the call, naming the parameter', () => {
    expect(() => withTimeout(-1, async () => 1)).toThrow(RangeError);
    expect(() => withTimeout(-1, async () => 1)).toThrow(/ms must be a finite number of milliseconds >= 0, got -1/);
    expect(() => withTimeout('1' as never, async () => 1)).toThrow(TypeError);
    expect(() => withTimeout(10, 'nope' as never)).toThrow(/promiseOrFn must be a promise or a function, got "nope"/);
    expect(() => withTimeout(10, async () => 1, 5 as never)).toThrow(/options must be an options object/);
  });

  it('still handles the rejection of a promise it refused', async () => {
    const rejected = Promise.reject(new Error('handled by withTimeout'));
    expect(() => withTimeout(Number.NaN, rejected)).toThrow(RangeError);
    await new Promise((resolve) => setImmediate(resolve)); // an unhandled rejection would surface here
  });
});
