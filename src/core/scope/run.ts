/**
 * One run of a scope, from the body's start to the settled promise: the body, the grace period, the
 * outcome (decided in one place, `decide`), the ledger drain, the release of everything the run took,
 * the end callbacks, and the settle. Allocated by `run()` / `enter()`, dropped when the run ends.
 */
import { clearLongTimeout, setLongTimeout, type TimerHandle } from '../clock.js';
import { channels, log } from '../diagnostics.js';
import { asyncContextFollowsAwaits } from '../platform.js';
import { isThenable, noop } from '../promise.js';
import { OperationStatus } from '../reasons.js';
import { runtime } from '../runtime.js';
import { begin } from './begin.js';
import { hasCallbacks, runCallbacks } from './callbacks.js';
import type { CancelScope } from './cancel-scope.js';
import { extrasOf, type ScopeExtras } from './extras.js';
import { drain, removeChild, runQueued } from './ledger.js';
import { decide } from './outcome.js';
import {
  BODY,
  donePhase,
  ENTERED,
  OUTCOME_ABANDONED,
  OUTCOME_ERROR,
  OUTCOME_VALUE,
  SETTLING,
  STARTING,
} from './phases.js';
import { registerEnd } from './registration.js';
import { monotonicOf } from './snapshot.js';
import { releaseSources } from './sources.js';
import { waitersEnded } from './waiters.js';

type Body = (scope: CancelScope) => unknown;

/** @internal The state of one run. */
export class RunRecord {
  readonly scope: CancelScope;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  graceTimer: TimerHandle = undefined;

  constructor(scope: CancelScope, resolve: (value: unknown) => void, reject: (error: unknown) => void) {
    this.scope = scope;
    this.resolve = resolve;
    this.reject = reject;
  }

  // ------------------------------------------------------------------ the body

  /** Runs the body in the scope's context and watches its promise. */
  invoke(body: Body): void {
    const scope = this.scope;
    if (scope._phase !== STARTING) return;
    scope._phase = BODY;
    if (scope._cancelError !== undefined) this.armGrace();
    try {
      runtime.storage.run(scope, callBody, this, body);
    } catch (error) {
      this.bodySettled(OUTCOME_ERROR, error);
    }
  }

  /** The body settled (or threw). After the grace period expired its outcome is only reported. */
  bodySettled(outcome: number, value: unknown): void {
    if (this.scope._phase !== BODY) reportAbandonedOutcome(this.scope, outcome, value);
    else this.record(outcome, value);
  }

  // ------------------------------------------------------------------ the grace period

  /** The scope was cancelled (delivered by the tree): a running body gets its grace period. */
  cancelled(): void {
    if (this.scope._phase === BODY) this.armGrace();
  }

  armGrace(): void {
    const scope = this.scope;
    const graceMs = scope.graceMs;
    if (this.graceTimer !== undefined || graceMs === Infinity) return;
    this.graceTimer = setLongTimeout(scope._clock, graceExpired, graceMs, this);
  }

  disarmGrace(): void {
    if (this.graceTimer === undefined) return;
    clearLongTimeout(this.scope._clock, this.graceTimer);
    this.graceTimer = undefined;
  }

  /** The last shield ended: a grace period that expired during shields starts again (SPEC §2). */
  shieldsEnded(): void {
    const x = this.scope._x;
    if (this.scope._phase !== BODY || x?.graceAwaitsShields !== true) return;
    x.graceAwaitsShields = false;
    this.armGrace();
  }

  /** The body ignored the cancellation for the whole grace period: stop waiting for it. */
  abandon(): void {
    const scope = this.scope;
    if (channels.abandoned.hasSubscribers) {
      channels.abandoned.publish({ scope, outcome: 'pending', value: undefined, graceMs: scope.graceMs });
    }
    log(scope.logger, 'warn', `cancelable: '${scope._name}' ignored cancellation for ${scope.graceMs}ms; not waiting for it`, {
      operationId: scope.id,
    });
    this.record(OUTCOME_ABANDONED, undefined);
  }

  // ------------------------------------------------------------------ the end

  /** Records how the body (or the `enter()` block) ended, decides, drains the ledger, then completes. */
  record(outcome: number, value: unknown): void {
    const scope = this.scope;
    scope._phase = SETTLING;
    this.disarmGrace();
    // The common case first, without a decision object: a value is always a completion (SPEC §3).
    if (outcome === OUTCOME_VALUE) {
      this.end(OperationStatus.Completed, true, value);
      return;
    }
    // The common cancelled case, also without one: the body rejected with the scope's own error (what
    // `decide` returns for it too; a cancelled fan-out of 100,000 children takes this path).
    if (outcome === OUTCOME_ERROR && value === scope._cancelError && value !== undefined) {
      this.end(OperationStatus.Cancelled, false, value);
      return;
    }
    const decision = decide(outcome, value, scope._cancelError, scope._cancelError !== undefined);
    if (decision.cancelError !== scope._cancelError) scope._cancelError = decision.cancelError;
    if (decision.cause !== undefined && decision.cancelError !== undefined) decision.cancelError.cause = decision.cause;
    if (decision.status === OperationStatus.Failed) extrasOf(scope).failure = decision.value;
    this.end(decision.status, decision.ok, decision.value);
  }

  /** Drains the ledger (when it holds anything), then completes. */
  end(status: OperationStatus, ok: boolean, value: unknown): void {
    const scope = this.scope;
    if (scope._ledger === undefined || scope._ledger.size === 0) this.complete(status, ok, value);
    else drain(scope, { status, ok, value }, () => this.complete(status, ok, value));
  }

  /** Releases everything the run took, tells the registries and channels, runs the end callbacks, settles. */
  complete(status: OperationStatus, ok: boolean, value: unknown): void {
    const scope = this.scope;
    scope._endMono = monotonicOf(scope);
    scope._phase = donePhase(status);
    this.disarmGrace();
    releaseSources(scope);
    waitersEnded(scope);
    const x = scope._x;
    if (x !== undefined) {
      x.tokenOff?.();
      x.tokenOff = undefined;
    }
    registerEnd(scope);
    const durationMs = Math.max(0, scope._endMono - scope._startMono); // a clock without monotonic() may step back
    if (channels.end.hasSubscribers) channels.end.publish({ scope, status, durationMs, error: ok ? undefined : value });
    const logger = scope._x?.logger ?? runtime.logger;
    if (logger !== undefined) {
      log(logger, 'debug', `cancelable: '${scope._name}' ended ${status} after ${durationMs}ms`, { operationId: scope.id, status });
    }
    if (x?.callbacks !== undefined) {
      const kind = status === 'completed' ? 'complete' : status === 'cancelled' ? 'cancel' : 'error';
      if (hasCallbacks(scope, kind)) {
        void runCallbacks(scope, kind, value).then(() => this.settle(ok, value));
        return;
      }
    }
    this.settle(ok, value); // the common case: no closure
  }

  /**
   * Settles `run()` (or disposal), then leaves the parent's ledger (a parent ends only after its
   * children have fully ended, callbacks included) and tells whoever waits for this scope's end.
   */
  settle(ok: boolean, value: unknown): void {
    const scope = this.scope;
    scope._run = undefined;
    if (ok) this.resolve(value);
    else this.reject(value);
    this.resolve = this.reject = noop;
    const x = scope._x;
    const foreignRelease = x?.foreignParentRelease;
    if (foreignRelease !== undefined) {
      (x as ScopeExtras).foreignParentRelease = undefined;
      foreignRelease();
    } else if (scope._parent !== null && scope._parent !== undefined) {
      removeChild(scope._parent, scope);
    }
    const ends = x?.endWaiters;
    if (x !== undefined && ends !== undefined) {
      x.endWaiters = undefined;
      for (const end of ends) runQueued(end);
    }
  }
}

/** An abandoned body settled after its scope stopped waiting for it: the outcome is dropped, and said so. */
function reportAbandonedOutcome(scope: CancelScope, outcome: number, value: unknown): void {
  if (channels.abandoned.hasSubscribers) {
    channels.abandoned.publish({ scope, outcome: outcome === OUTCOME_VALUE ? 'fulfilled' : 'rejected', value, graceMs: scope.graceMs });
  }
  log(scope.logger, 'debug', `cancelable: abandoned body of '${scope._name}' settled after the scope ended`, {
    operationId: scope.id,
  });
}

function graceExpired(run: RunRecord): void {
  run.graceTimer = undefined;
  const scope = run.scope;
  if (scope._phase !== BODY) return;
  if ((scope._ledger?.shields ?? 0) > 0) {
    extrasOf(scope).graceAwaitsShields = true;
    return;
  }
  run.abandon();
}

// The body's promise is watched by two shared functions that find the run in the async context (the
// reaction runs in the context where `then` was called: the scope's), instead of two closures per run.
// Once the run has ended (its record dropped), a settling body was abandoned.
function onBodyValue(value: unknown): void {
  bodySettledIn(runtime.storage.getStore() as CancelScope, OUTCOME_VALUE, value);
}
function onBodyError(error: unknown): void {
  bodySettledIn(runtime.storage.getStore() as CancelScope, OUTCOME_ERROR, error);
}
function bodySettledIn(scope: CancelScope, outcome: number, value: unknown): void {
  const run = scope._run;
  if (run !== undefined) run.bodySettled(outcome, value);
  else reportAbandonedOutcome(scope, outcome, value);
}

/** Inside `storage.run(scope)`: calls the body and watches what it returns. */
function callBody(run: RunRecord, body: Body): void {
  const scope = run.scope;
  let result: unknown;
  try {
    result = body(scope);
  } catch (error) {
    run.bodySettled(OUTCOME_ERROR, error);
    return;
  }
  if (!isThenable(result)) {
    run.bodySettled(OUTCOME_VALUE, result);
    return;
  }
  if (
    asyncContextFollowsAwaits &&
    result instanceof Promise &&
    result.constructor === Promise &&
    runtime.storage.getStore() === scope // the body may have called enterWith (enter() without using)
  ) {
    result.then(onBodyValue, onBodyError);
    return;
  }
  try {
    result.then(
      (value) => run.bodySettled(OUTCOME_VALUE, value),
      (error: unknown) => run.bodySettled(OUTCOME_ERROR, error),
    );
  } catch (error) {
    run.bodySettled(OUTCOME_ERROR, error); // a foreign thenable whose then() throws
  }
}

// Captures a promise's resolvers without allocating a closure per run.
let capturedResolve: (value: unknown) => void = noop;
let capturedReject: (error: unknown) => void = noop;
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** Starts a run of `body`; the promise settles with its outcome (SPEC §3). */
export function startRun(scope: CancelScope, body: Body): Promise<unknown> {
  const promise = new Promise(capture);
  const run = (scope._run = new RunRecord(scope, capturedResolve, capturedReject));
  // Don't let the module keep the last run's promise (and through it, its scope) alive.
  capturedResolve = capturedReject = noop;
  const startError = begin(scope);
  if (startError !== undefined) run.record(OUTCOME_ERROR, startError.error);
  else if (hasCallbacks(scope, 'start')) void runCallbacks(scope, 'start', undefined).then(() => run.invoke(body));
  else run.invoke(body);
  return promise;
}

/** Starts a scope for an `enter()` block; returns its run (settled by disposal). */
export function startBlock(scope: CancelScope): { run: RunRecord; done: Promise<void>; startError: { error: unknown } | undefined } {
  let resolveDone: () => void = noop;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const finished = (): void => resolveDone();
  const run = (scope._run = new RunRecord(scope, finished, finished));
  const startError = begin(scope);
  if (startError === undefined) {
    scope._phase = ENTERED;
    if (hasCallbacks(scope, 'start')) void runCallbacks(scope, 'start', undefined);
  }
  return { run, done, startError };
}
