/**
 * What an outbound call carries from the current scope: the budget left (minus a margin) in a
 * deadline header, or a fast failure when too little is left. Shared by `fetch` and the undici
 * interceptor.
 */
import { Cancelable } from '../cancelable.js';
import { checkDuration, checkKnownKeys, describeValue, TimeoutCancelation, type CancelScope } from '../core/index.js';
import { budgetOf } from './budget.js';
import { checkDeadlineHeader, formatDeadlineHeader, type DeadlineHeader } from './headers.js';

/** Options of the outbound helpers (`createFetch`, `deadlineInterceptor`). */
export interface OutboundOptions {
  /**
   * The header family written when the enclosing request came without one (otherwise the call
   * answers in the caller's family). Default `connect-timeout-ms`.
   */
  header?: DeadlineHeader;
  /** Always write this family, whatever the caller spoke. Default: answer in kind. */
  forceHeader?: boolean;
  /** Taken off the budget sent on (time for the answer to come back), ms. Default 10. */
  marginMs?: number;
  /** Under this many ms left (after the margin) the call fails at once, without a network call. Default 1. */
  minBudgetMs?: number;
}

/** @internal The checked outbound options. */
export interface OutboundConfig {
  header: DeadlineHeader;
  forceHeader: boolean;
  marginMs: number;
  minBudgetMs: number;
}

/** @internal */
export const outboundOptionKeys: ReadonlySet<string> = new Set(['header', 'forceHeader', 'marginMs', 'minBudgetMs']);

/** @internal Checks the outbound options (`extra` keys are checked by the caller). */
export function outboundConfig(options: OutboundOptions | undefined, extra: readonly string[] = []): OutboundConfig {
  checkKnownKeys('options', options, extra.length === 0 ? outboundOptionKeys : new Set([...outboundOptionKeys, ...extra]));
  const o = options ?? {};
  if (o.forceHeader !== undefined && typeof o.forceHeader !== 'boolean') {
    throw new TypeError(`options.forceHeader must be a boolean, got ${describeValue(o.forceHeader)}`);
  }
  return {
    header: o.header === undefined ? 'connect-timeout-ms' : checkDeadlineHeader('options.header', o.header),
    forceHeader: o.forceHeader ?? false,
    marginMs: o.marginMs === undefined ? 10 : checkDuration('options.marginMs', o.marginMs),
    minBudgetMs: o.minBudgetMs === undefined ? 1 : checkDuration('options.minBudgetMs', o.minBudgetMs),
  };
}

/** @internal What one outbound call must do. */
export type OutboundPlan =
  | { kind: 'none' }
  | { kind: 'fail'; error: unknown }
  | { kind: 'call'; scope: CancelScope; header: DeadlineHeader | undefined; value: string | undefined };

/** @internal Decides for one call made now, in the current scope. */
export function planOutbound(config: OutboundConfig): OutboundPlan {
  const scope = Cancelable.current();
  if (scope === undefined) return { kind: 'none' };
  if (scope.isCancelled) return { kind: 'fail', error: scope.cancelError };
  const budget = budgetOf(scope);
  if (budget.remainingMs === Infinity) return { kind: 'call', scope, header: undefined, value: undefined };
  const sendMs = budget.remainingMs - config.marginMs;
  if (sendMs < config.minBudgetMs) {
    const error = new TimeoutCancelation(
      `Not enough time left for the call: ${Math.max(0, Math.floor(budget.remainingMs))}ms left, ${config.marginMs}ms margin, ${config.minBudgetMs}ms minimum`,
      { operationId: scope.id, timeoutMs: Math.max(0, budget.remainingMs) },
    );
    return { kind: 'fail', error };
  }
  const header = config.forceHeader ? config.header : (budget.header ?? config.header);
  return { kind: 'call', scope, header, value: formatDeadlineHeader(header, sendMs) };
}
