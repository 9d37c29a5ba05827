import type { CancelationToken } from '../core/token.js';
import { TokenSource } from '../sources/token.js';
import {
  compileSpec,
  makeWrapper,
  wrapFunction,
  type CancelableFunction,
  type CancelableWrapper,
  type CancelableWrapperOptions,
  type ScopedFunction,
} from './spec.js';

/**
 * {@link cancelable} with a token: every call runs in its own scope, cancelled when `token` is (with
 * the token's reason and message). One token can stop every call in flight, e.g. from a cancel button;
 * calls made after the token was cancelled start cancelled. The scope never cancels the token.
 *
 * Forms: `cancelableWithToken(token, fn, options?)` returns the wrapped function;
 * `cancelableWithToken(token, options?)` returns a wrapper, also usable as a method decorator.
 *
 * @example
 * ```ts
 * const jobToken = new CancelationToken();
 * cancelButton.onclick = () => void jobToken.cancel('User clicked cancel');
 * const processJob = cancelableWithToken(jobToken, async (scope, jobId: string) => {
 *   for (const step of steps(jobId)) await scope.race(step());
 * });
 * await processJob('job-1');
 * ```
 */
export function cancelableWithToken<A extends unknown[], R, This = unknown>(
  token: CancelationToken,
  fn: ScopedFunction<This, A, R>,
  options?: CancelableWrapperOptions,
): CancelableFunction<This, A, R>;
export function cancelableWithToken(token: CancelationToken, options?: CancelableWrapperOptions): CancelableWrapper;
export function cancelableWithToken(token: CancelationToken, second?: unknown, third?: unknown): unknown {
  const source = new TokenSource(token);
  if (typeof second === 'function') {
    return wrapFunction(compileSpec(third, [source]), second as ScopedFunction<unknown, unknown[], unknown>);
  }
  return makeWrapper(compileSpec(second, [source]), 'cancelableWithToken');
}
