/**
 * `fetch` that runs in the current scope: its signal, and the budget left in a deadline header
 * (SPEC §10, outbound).
 */
import { checkKnownKeys, describeValue } from '../core/index.js';
import { outboundConfig, planOutbound, type OutboundOptions } from './outbound.js';

type FetchInput = Parameters<typeof globalThis.fetch>[0];

/** Options of {@link createFetch}. */
export interface CreateFetchOptions extends OutboundOptions {
  /** The fetch to call. Default: `globalThis.fetch`, read at each call. */
  fetch?: typeof globalThis.fetch;
}

/**
 * A `fetch` (same signature as the global) bound to the current scope (`Cancelable.current()`): the
 * scope's signal aborts it (combined with `init.signal` when given), and the time left to the scope
 * and its ancestors (request deadlines, timeouts), minus `marginMs`, is sent in a deadline header —
 * the family the enclosing request came in with, else `options.header`. When less than `minBudgetMs`
 * is left, or the scope is already cancelled, it rejects at once, without a network call, with a
 * `TimeoutCancelation` (or the scope's error). Outside any scope it is the plain fetch. A header the
 * caller set itself is left as is.
 * @example
 * ```ts
 * const fetchInScope = createFetch({ header: 'grpc-timeout', marginMs: 20 });
 * const answer = await fetchInScope('http://127.0.0.1:9000/rank');
 * ```
 */
export function createFetch(options?: CreateFetchOptions): typeof globalThis.fetch {
  checkKnownKeys('options', options, new Set(['header', 'forceHeader', 'marginMs', 'minBudgetMs', 'fetch']));
  const { fetch: inner, ...rest } = options ?? {};
  if (inner !== undefined && typeof inner !== 'function') throw new TypeError(`options.fetch must be a function, got ${describeValue(inner)}`);
  const config = outboundConfig(rest);
  return function fetchInScope(input: FetchInput, init?: RequestInit): Promise<Response> {
    const call = inner ?? globalThis.fetch;
    const plan = planOutbound(config);
    if (plan.kind === 'none') return call(input, init);
    if (plan.kind === 'fail') return Promise.reject(plan.error);
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const signal = own === undefined || own === null ? plan.scope.signal : AbortSignal.any([plan.scope.signal, own]);
    let headers: RequestInit['headers'] = init?.headers;
    if (plan.header !== undefined) {
      const merged = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      const existing = merged.get(plan.header);
      if (plan.header === 'prefer') {
        if (existing === null) merged.set('prefer', plan.value!);
        else if (!/(?:^|[,\s])wait\b/i.test(existing)) merged.set('prefer', `${existing}, ${plan.value!}`);
      } else if (existing === null) merged.set(plan.header, plan.value!);
      headers = merged;
    }
    return call(input, { ...init, headers, signal });
  };
}

/**
 * `fetch` in the current scope, with the default options of {@link createFetch}: the scope's signal,
 * the remaining budget minus 10 ms in the caller's deadline header family (else `Connect-Timeout-Ms`),
 * and a `TimeoutCancelation` at once, without a network call, when under 1 ms is left.
 * @example
 * ```ts
 * import { fetch, handleRequest } from 'cancelable-ts/http';
 * http.createServer((req, res) => handleRequest(req, res, async () => {
 *   const prices = await fetch('http://127.0.0.1:9000/prices'); // aborted if the client leaves
 *   res.end(await prices.text());
 * }));
 * ```
 */
export const fetch: typeof globalThis.fetch = createFetch();
