/** Small helpers shared by the core tests. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/**
 * Set by the mutation-testing configs (vitest.stryker.config.ts): the scale tests run a smaller tree
 * (the same logic; instrumented code is several times slower), and a test whose assertions all run in
 * child processes (which never see the active mutant) is skipped.
 */
export const underMutation = process.env.CANCELABLE_MUTATION === '1';

/** `full`, or `reduced` under mutation testing. */
export const atScale = (full: number, reduced: number): number => (underMutation ? reduced : full);

/** Collects what is published on a diagnostics channel until `stop()`. */
export function listen<T = Record<string, unknown>>(name: string): { messages: T[]; stop: () => void } {
  const messages: T[] = [];
  const onMessage = (message: unknown): void => {
    messages.push(message as T);
  };
  subscribe(name, onMessage);
  return { messages, stop: () => void unsubscribe(name, onMessage) };
}

/**
 * The promise's rejection reason. Fails the test if it resolves, or if the rejection is (or has as a
 * `cause`) a failed `expect()` from inside a scope's body, which would otherwise be swallowed here.
 */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    const failedAssertion = causeChain(error).find((e): e is Error => e instanceof Error && e.name === 'AssertionError');
    if (failedAssertion !== undefined) throw failedAssertion;
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Tracks whether a promise has settled, without ever leaving its rejection unhandled. */
export function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

/** The `cause` chain of an error, from the error itself (bounded). */
export function causeChain(error: unknown, max = 64): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (current !== undefined && chain.length < max) {
    chain.push(current);
    current = typeof current === 'object' && current !== null ? (current as { cause?: unknown }).cause : undefined;
  }
  return chain;
}
