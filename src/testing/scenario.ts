import { AssertionError } from 'node:assert';
import { getDefaultClock, isClock, setLongTimeout, type Clock } from '../core/clock.js';
import type { OperationContext } from '../core/context.js';
import { isCancelationReason, OperationStatus, reasonList, type CancelationReason } from '../core/reasons.js';
import { Cancelable } from '../cancelable.js';
import type { CancelableOptions } from '../core/index.js';
import { parseCancelArgument, type CancelArgument } from '../core/token.js';
import { checkDuration, checkFunction, checkOptionalString, checkKnownKeys, checkOptions, describeValue } from '../core/validate.js';
import { ManualClock, flushMicrotasks } from './clock.js';
import { MockCancelationToken } from './mock-token.js';
import { OperationRecorder } from './recorder.js';

/** What a timeline check receives. */
export interface ScenarioContext {
  /** The scope the operation runs in. */
  readonly scope: Cancelable;
  /** The token the scenario cancels through (it records every cancel call). */
  readonly token: MockCancelationToken;
  /** Records the scope's events (and its descendants'). */
  readonly recorder: OperationRecorder;
  /** The scenario's clock. */
  readonly clock: Clock;
  /** Time since the operation started, on the scenario's clock. */
  readonly elapsedMs: number;
}

/** What {@link CancelationScenario.run} resolves with (when every check passed). */
export interface ScenarioResult<T> {
  readonly name: string;
  /** The final status: `completed`, `cancelled` or `failed`. */
  readonly status: OperationStatus;
  /** The operation's value (completed runs). */
  readonly value: T | undefined;
  /** What `run()` rejected with (cancelled and failed runs). */
  readonly error: unknown;
  /** The scope's final snapshot. */
  readonly context: OperationContext;
  readonly scope: Cancelable;
  readonly token: MockCancelationToken;
  readonly recorder: OperationRecorder;
  /** From the start of the operation to its end, on the scenario's clock. */
  readonly elapsedMs: number;
}

/** Options of {@link CancelationScenario}. */
export interface ScenarioOptions {
  /**
   * The clock of the scope, the delays and the token. Default: the default clock. With a
   * {@link ManualClock} delays advance it (instant), and after the timeline it is run until the
   * operation ends.
   */
  clock?: Clock;
  /** Extra options for the scope (`graceMs`, `metadata`, `logger`...). */
  scope?: Omit<CancelableOptions, 'clock' | 'name'>;
}

type Step =
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'cancel'; readonly argument: CancelArgument }
  | { readonly kind: 'check'; readonly fn: (context: ScenarioContext) => unknown; readonly description: string };

type Expectation =
  | { readonly kind: 'status'; readonly status: OperationStatus }
  | { readonly kind: 'progress'; readonly message: string | RegExp }
  | { readonly kind: 'reason'; readonly reason: CancelationReason };

const finalStatuses: readonly string[] = [OperationStatus.Completed, OperationStatus.Cancelled, OperationStatus.Failed];

/**
 * Builds a cancellation test as a timeline: delays, cancellations and checks that run while the
 * operation runs in a scope driven by a {@link MockCancelationToken}, then checks of the outcome
 * (status, progress messages, cancel reason). `run(operation)` plays it and throws an `AssertionError`
 * for the first check that fails; otherwise it resolves with what happened.
 *
 * Timeline steps run in order from the start of the operation; the operation is then awaited (with a
 * {@link ManualClock}, time keeps moving, timer by timer, until it ends). A failing timeline check
 * cancels the scope before the scenario throws.
 *
 * @example
 * ```ts
 * await new CancelationScenario('user stops the export', { clock: new ManualClock() })
 *   .addDelay(250)
 *   .addCheck(({ recorder, scope }) => recorder.assertEventOccurred(scope, 'progress', { message: 'Step 2/10' }))
 *   .addCancelation('Stopped by user')
 *   .addStatusCheck('cancelled')
 *   .addCancelReasonCheck('manual')
 *   .run(async (scope) => {
 *     for (let step = 1; step <= 10; step++) {
 *       scope.reportProgress(`Step ${step}/10`);
 *       await scope.sleep(100);
 *     }
 *   });
 * ```
 */
export class CancelationScenario {
  /** The scenario's name (the scope is named `scenario:<name>`). */
  readonly name: string;
  readonly #options: ScenarioOptions;
  readonly #steps: Step[] = [];
  readonly #expectations: Expectation[] = [];

  constructor(name = 'scenario', options?: ScenarioOptions) {
    checkOptionalString('name', name);
    checkKnownKeys('options', options, new Set(['clock', 'scope']));
    const clock = options?.clock;
    if (clock !== undefined && !isClock(clock)) {
      throw new TypeError(`options.clock must be a Clock, got ${describeValue(clock)}`);
    }
    checkOptions('options.scope', options?.scope);
    this.name = name;
    this.#options = options ?? {};
  }

  /** Timeline: wait `ms` (advances a ManualClock; otherwise a real wait on the clock). */
  addDelay(ms: number): this {
    this.#steps.push({ kind: 'delay', ms: checkDuration('ms', ms) });
    return this;
  }

  /** Timeline: cancel the token (a message, or `{ reason, message }`), waiting for its callbacks. */
  addCancelation(argument?: CancelArgument): this {
    parseCancelArgument(argument, 'argument');
    this.#steps.push({ kind: 'cancel', argument });
    return this;
  }

  /** Timeline: run `fn(context)` at this point; a throw (or rejection) fails the scenario. */
  addCheck(fn: (context: ScenarioContext) => unknown, description?: string): this {
    checkFunction('fn', fn);
    checkOptionalString('description', description);
    this.#steps.push({ kind: 'check', fn, description: description ?? (fn.name || `check #${this.#steps.length + 1}`) });
    return this;
  }

  /** Outcome: a progress report with this message (or matching this RegExp) was made. */
  addProgressCheck(message: string | RegExp): this {
    if (typeof message !== 'string' && !(message instanceof RegExp)) {
      throw new TypeError(`message must be a string or a RegExp, got ${describeValue(message)}`);
    }
    this.#expectations.push({ kind: 'progress', message });
    return this;
  }

  /** Outcome: the operation ended with `status` (`completed`, `cancelled` or `failed`). */
  addStatusCheck(status: OperationStatus): this {
    if (!finalStatuses.includes(status)) {
      throw new TypeError(`status must be one of ${finalStatuses.join(', ')}; got ${describeValue(status)}`);
    }
    this.#expectations.push({ kind: 'status', status });
    return this;
  }

  /** Outcome: a cancellation with this reason was requested (the context's `cancelReason`). */
  addCancelReasonCheck(reason: CancelationReason): this {
    if (!isCancelationReason(reason)) {
      throw new TypeError(`reason must be one of ${reasonList}; got ${describeValue(reason)}`);
    }
    this.#expectations.push({ kind: 'reason', reason });
    return this;
  }

  /** Plays the scenario against `operation(scope)`. */
  async run<T>(operation: (scope: Cancelable) => T | PromiseLike<T>): Promise<ScenarioResult<T>> {
    checkFunction('operation', operation);
    const clock = this.#options.clock ?? getDefaultClock();
    const token = new MockCancelationToken({ clock });
    const recorder = new OperationRecorder();
    const scope = recorder.attach(
      Cancelable.withToken(token, { ...this.#options.scope, name: `scenario:${this.name}`, clock }),
      { children: true },
    );
    const start = clock.now();
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    const running = scope.run(operation).then(
      (value) => {
        outcome = { ok: true, value };
      },
      (error: unknown) => {
        outcome = { ok: false, error };
      },
    );
    try {
      for (const step of this.#steps) {
        if (step.kind === 'delay') await wait(clock, step.ms);
        else if (step.kind === 'cancel') await token.cancel(step.argument);
        else {
          try {
            await step.fn({ scope, token, recorder, clock, elapsedMs: clock.now() - start });
          } catch (error) {
            scope.cancel(`Scenario '${this.name}': check '${step.description}' failed`);
            await settle(clock, running, () => outcome !== undefined);
            throw error;
          }
        }
      }
      await settle(clock, running, () => outcome !== undefined);
    } finally {
      recorder.stop();
      token.dispose();
    }
    const ended = outcome as { ok: true; value: T } | { ok: false; error: unknown };
    const result: ScenarioResult<T> = {
      name: this.name,
      status: scope.status,
      value: ended.ok ? ended.value : undefined,
      error: ended.ok ? undefined : ended.error,
      context: scope.context,
      scope,
      token,
      recorder,
      elapsedMs: clock.now() - start,
    };
    for (const expectation of this.#expectations) this.#verify(expectation, result);
    return result;
  }

  #verify(expectation: Expectation, result: ScenarioResult<unknown>): void {
    const { scope, recorder } = result;
    if (expectation.kind === 'status') {
      recorder.assertFinalStatus(scope, expectation.status);
    } else if (expectation.kind === 'progress') {
      recorder.assertEventOccurred(scope, 'progress', { message: expectation.message });
    } else if (result.context.cancelReason !== expectation.reason) {
      throw new AssertionError({
        message: `Scenario '${this.name}': expected a '${expectation.reason}' cancellation, got ${
          result.context.cancelReason === null ? 'no cancellation' : `'${result.context.cancelReason}'`
        } (status ${result.status})`,
        actual: result.context.cancelReason,
        expected: expectation.reason,
        operator: 'addCancelReasonCheck',
      });
    }
  }
}

const SETTLE_LIMIT = 100_000;

/** Waits `ms` on `clock`: advances a ManualClock, otherwise sleeps on it. */
async function wait(clock: Clock, ms: number): Promise<void> {
  if (clock instanceof ManualClock) {
    await clock.advance(ms);
    return;
  }
  await new Promise<void>((resolve) => setLongTimeout(clock, resolve, ms, undefined));
}

/** Awaits the run; with a ManualClock, moves time timer by timer while the operation waits on it. */
async function settle(clock: Clock, running: Promise<void>, ended: () => boolean): Promise<void> {
  if (clock instanceof ManualClock) {
    await flushMicrotasks();
    for (let fired = 0; !ended(); fired++) {
      if (fired >= SETTLE_LIMIT) {
        throw new Error(
          `CancelationScenario: the operation was still running after ${SETTLE_LIMIT} more timers of the clock ` +
            '(an endless polling loop?); add a cancellation or a timeout to the scenario',
        );
      }
      if (!(await clock.runNext())) break; // waiting on something else than the clock
    }
  }
  await running;
}
