/**
 * Starting and releasing a scope's sources, and its link to its own token. A source is a
 * description; the scope activates it at start (each activation has its own state) and deactivates it
 * at the end. A source that fails to start fails the run; one that fails to stop is reported.
 */
import { reportSourceError } from '../diagnostics.js';
import { createCancelationError } from '../errors.js';
import { CancelationSource, kActivate, kDeactivate } from '../source.js';
import { CancelationToken } from '../token.js';
import type { CancelScope } from './cancel-scope.js';
import { extrasOf } from './extras.js';
import { DONE } from './phases.js';
import { cancelScope } from './tree.js';

/** Marks sources that are not (or no longer) activated. */
export const INACTIVE: unique symbol = Symbol('inactive');

/** Starts every source; returns the error of the first that failed (the others are released). */
export function activateSources(scope: CancelScope): { error: unknown } | undefined {
  const sources = scope._sources;
  if (sources === undefined) return undefined;
  if (sources.length === 1) {
    const source = sources[0] as CancelationSource;
    try {
      scope._sourceState = source[kActivate](scope);
    } catch (error) {
      reportSourceError(scope, source, 'start', error);
      return { error };
    }
    return undefined;
  }
  const states = (scope._sourceState = new Array<unknown>(sources.length));
  for (let i = 0; i < sources.length; i++) {
    try {
      states[i] = (sources[i] as CancelationSource)[kActivate](scope);
    } catch (error) {
      reportSourceError(scope, sources[i] as CancelationSource, 'start', error);
      scope._sourceState = states.slice(0, i);
      return { error };
    }
  }
  return undefined;
}

/** Stops every activated source (once); failures are reported. */
export function releaseSources(scope: CancelScope): void {
  const sources = scope._sources;
  const states = scope._sourceState;
  if (sources === undefined || states === INACTIVE) return;
  scope._sourceState = INACTIVE;
  if (sources.length === 1) {
    deactivate(scope, sources[0] as CancelationSource, states);
    return;
  }
  const list = states as unknown[];
  for (let i = 0; i < list.length; i++) deactivate(scope, sources[i] as CancelationSource, list[i]);
}

function deactivate(scope: CancelScope, source: CancelationSource, state: unknown): void {
  try {
    source[kDeactivate](state);
  } catch (error) {
    reportSourceError(scope, source, 'stop', error);
  }
}

/** What the diagnostics call the scope's own token when it cancels the scope. */
const ownTokenSource = new (class ScopeTokenSource extends CancelationSource {
  start(): void {}
  stop(): void {}
})({ name: 'scope-token' });

/**
 * Makes the scope's own token cancel the scope, from now until the scope ends (before start too:
 * `scope.token.cancel()` then cancels the scope at once, like `scope.cancel()`).
 */
export function linkToken(scope: CancelScope, token: CancelationToken): () => void {
  return token.onCancel(() => {
    if (scope._cancelError !== undefined || scope._phase >= DONE) return;
    cancelScope(scope, createCancelationError({ reason: token.reason ?? 'manual', message: token.message }, scope), ownTokenSource);
  });
}

/** The scope's own token, created on first read and linked to the scope (until it ends). */
export function tokenOf(scope: CancelScope): CancelationToken {
  const x = extrasOf(scope);
  if (x.token === undefined) {
    x.token = new CancelationToken();
    if (scope._phase < DONE) x.tokenOff = linkToken(scope, x.token);
  }
  return x.token;
}
