/**
 * `scope.shield(body, { timeout })`: cleanup that runs to the end. The body runs in a child scope on a
 * shielded edge: the parent's cancellation does not cross it (its own timeout still applies), the
 * parent's ledger waits for it whatever the grace period, and a grace period that expires meanwhile
 * starts again when the last shield ends.
 */
import { TimeoutSource } from '../time/timeout-source.js';
import { checkDuration, checkKnownKeys, checkOptionalString } from '../validate.js';
import type { CancelScope } from './cancel-scope.js';
import { BODY, ENTERED, STARTING } from './phases.js';

/** Options of {@link CancelScope.shield}. */
export interface ShieldOptions {
  /** The shield's own timeout (it still applies inside the shield). */
  timeout?: number;
  /** A name for the shield's scope. Default `<scope name>:shield`. */
  name?: string;
}

const shieldOptionKeys: ReadonlySet<string> = new Set(['timeout', 'name']);

/** Runs `body` shielded from `outer`'s cancellation; see {@link CancelScope.shield}. */
export function shield<S extends CancelScope, T>(
  outer: S,
  body: (shielded: S) => T | PromiseLike<T>,
  options: ShieldOptions | undefined,
): Promise<T> {
  checkKnownKeys('options', options, shieldOptionKeys);
  const phase = outer._phase;
  if (phase !== BODY && phase !== ENTERED && phase !== STARTING) {
    throw new TypeError(`shield() needs a running scope; '${outer._name}' is ${outer.status}`);
  }
  const timeout = options?.timeout;
  const name = checkOptionalString('options.name', options?.name) ?? `${outer._name}:shield`;
  const Scope = outer.constructor as new (options: object) => S;
  const inner = new Scope({
    name,
    parent: outer,
    sources: timeout === undefined ? undefined : [new TimeoutSource(checkDuration('options.timeout', timeout))],
    graceMs: outer.graceMs,
    clock: outer._clock,
    metadata: { shieldOf: outer.id },
    ...(outer.logger !== undefined ? { logger: outer.logger } : {}),
  });
  inner._shielded = true;
  return runShield(outer, inner, body);
}

async function runShield<S extends CancelScope, T>(outer: S, inner: S, body: (shielded: S) => T | PromiseLike<T>): Promise<T> {
  const value = (await inner.run(body)) as T;
  if (outer._cancelError !== undefined) throw outer._cancelError;
  return value;
}
