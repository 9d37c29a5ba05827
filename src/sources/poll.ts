import { clearLongTimeout, setLongTimeout, unrefLongTimeout, type TimerHandle } from '../core/clock.js';
import { reportSourceError } from '../core/diagnostics.js';
import type { CancelationInit } from '../core/errors.js';
import { kFire, MultiSource, type CancelationSourceOptions, type SourceTarget } from '../core/source.js';
import { isThenable } from '../core/promise.js';
import { checkInterval } from '../core/validate.js';

/** @internal What one check says: fire with this init, or (undefined) not yet. */
export type ProbeResult = CancelationInit | undefined;

/** @internal One activation of a polling source. */
export interface PollActivation<D> {
  readonly target: SourceTarget;
  /** Per-activation data of the subclass (e.g. the previous CPU sample). */
  readonly data: D;
  /** Checks started so far (the one in progress included). */
  checks: number;
  /** The armed timer, undefined when none. */
  handle: TimerHandle;
  active: boolean;
}

/** @internal A polling interval: finite and > 0 (any length: long ones are stepped, never clamped). */
export function checkPollInterval(name: string, value: unknown): number {
  return checkInterval(name, value);
}

/**
 * @internal Base of the sources that poll: the first check runs synchronously at start (a sync check
 * that is already met cancels before the body's first await), and each next check is armed
 * `intervalMs` after the previous one finished, so two checks never overlap however slow an async
 * one is. A check that throws or rejects is reported (`cancelable:source-error`, phase
 * `predicate`) and polling goes on. Timers come from the target's clock and are unref'd: polling
 * never keeps the process alive on its own.
 */
export abstract class PollingSource<D> extends MultiSource {
  /** Milliseconds between the end of one check and the start of the next. */
  readonly intervalMs: number;

  constructor(intervalMs: number, options: CancelationSourceOptions) {
    super(options);
    this.intervalMs = intervalMs;
  }

  /** The per-activation data handed to every {@link PollingSource.probe} of one activation. */
  protected abstract createData(): D;

  /** One check: an init to fire with, undefined when not met yet. May be async; may throw. */
  protected abstract probe(data: D, checks: number): ProbeResult | PromiseLike<ProbeResult>;

  protected activate(target: SourceTarget): PollActivation<D> {
    const activation: PollActivation<D> = {
      target,
      data: this.createData(),
      checks: 0,
      handle: undefined,
      active: true,
    };
    this.#check(activation);
    return activation;
  }

  protected deactivate(state: unknown): void {
    const activation = state as PollActivation<D>;
    activation.active = false;
    if (activation.handle !== undefined) {
      clearLongTimeout(activation.target.clock, activation.handle);
      activation.handle = undefined;
    }
  }

  #check(activation: PollActivation<D>): void {
    activation.handle = undefined;
    activation.checks++;
    let result: ProbeResult | PromiseLike<ProbeResult>;
    try {
      result = this.probe(activation.data, activation.checks);
    } catch (error) {
      this.#failed(activation, error);
      return;
    }
    if (isThenable(result)) {
      // Promise.resolve: a foreign thenable whose then() throws becomes a rejection, reported below.
      Promise.resolve(result).then(
        (value) => this.#checked(activation, value),
        (error: unknown) => this.#failed(activation, error),
      );
    } else {
      this.#checked(activation, result);
    }
  }

  #checked(activation: PollActivation<D>, result: ProbeResult): void {
    if (!activation.active) return;
    if (result === undefined) {
      this.#schedule(activation);
      return;
    }
    // Fired: this activation is done polling (the target ignores any later fire anyway).
    activation.active = false;
    try {
      activation.target[kFire](result, this);
    } catch (error) {
      reportSourceError(activation.target.reportable, this, 'fire', error);
    }
  }

  #failed(activation: PollActivation<D>, error: unknown): void {
    if (!activation.active) return;
    reportSourceError(activation.target.reportable, this, 'predicate', error);
    this.#schedule(activation);
  }

  #schedule(activation: PollActivation<D>): void {
    const clock = activation.target.clock;
    const handle = setLongTimeout(clock, this.#onTimer, this.intervalMs, activation);
    activation.handle = handle;
    unrefLongTimeout(clock, handle);
  }

  readonly #onTimer = (activation: PollActivation<D>): void => {
    if (activation.active) this.#check(activation);
  };
}
