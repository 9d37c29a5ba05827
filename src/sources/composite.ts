import type { Clock } from '../core/clock.js';
import { reportSourceError, type Reportable } from '../core/diagnostics.js';
import type { CancelationInit } from '../core/errors.js';
import {
  CancelationSource,
  kActivate,
  kDeactivate,
  kFire,
  MultiSource,
  type SourceTarget,
} from '../core/source.js';
import { CancelationToken } from '../core/token.js';
import { checkKnownKeys, checkOptionalString, describeValue, nameOnlyKeys as nameOnly } from '../core/validate.js';
import { AbortSignalSource, isAbortSignal } from './abort-signal.js';
import { TokenSource } from './token.js';

/** What a composite source takes: sources, and tokens or AbortSignals (wrapped as sources). */
export type CompositeItem = CancelationSource | CancelationToken | AbortSignal;

/** Options of {@link AnyOfSource} and {@link AllOfSource}. */
export interface CompositeSourceOptions {
  /** A name for reports. Default `any-of(...)` / `all-of(...)` with the children's names. */
  name?: string;
}

/** @internal One activation of a composite: its children's states and what fired so far. */
export interface CompositeActivation {
  readonly target: SourceTarget;
  readonly states: unknown[];
  /** How many children were activated (all of them once activation succeeded). */
  started: number;
  /** Distinct children that fired (all-of). */
  readonly seen: Uint8Array;
  count: number;
  /** The composite fired its target. */
  done: boolean;
  /** Between activation and deactivation. */
  active: boolean;
}

type ChildFired = (activation: CompositeActivation, index: number, init: CancelationInit) => void;

/** The target a child fires into: it forwards to the composite, tagged with the child's index. */
class ChildTarget implements SourceTarget {
  constructor(
    private readonly onFire: ChildFired,
    private readonly activation: CompositeActivation,
    private readonly index: number,
  ) {}

  get clock(): Clock {
    return this.activation.target.clock;
  }

  get reportable(): Reportable | undefined {
    return this.activation.target.reportable;
  }

  [kFire](init: CancelationInit, _source: CancelationSource): void {
    this.onFire(this.activation, this.index, init);
  }
}

function toSource(item: unknown, index: number): CancelationSource {
  if (item instanceof CancelationSource) return item;
  if (item instanceof CancelationToken) return new TokenSource(item);
  if (isAbortSignal(item)) return new AbortSignalSource(item);
  throw new TypeError(
    `sources[${index}] must be a CancelationSource, CancelationToken or AbortSignal, got ${describeValue(item)}`,
  );
}

/**
 * @internal Shared machinery of {@link AnyOfSource} and {@link AllOfSource}: activates every child
 * against a target of its own (same clock and scope for reports), and releases them all when the
 * composite is released. Each activation has its own state, so a composite of built-in sources can
 * serve several scopes at once (a custom source inside still serves one at a time).
 */
export abstract class CompositeSource extends MultiSource {
  /** The children, in the order given. */
  readonly sources: readonly CancelationSource[];

  constructor(kind: 'any-of' | 'all-of', items: readonly CompositeItem[], options: CompositeSourceOptions | undefined) {
    if (!Array.isArray(items)) {
      throw new TypeError(`sources must be an array of CancelationSource, got ${describeValue(items)}`);
    }
    if (items.length === 0) throw new RangeError(`sources must not be empty: ${kind} needs at least one source`);
    checkKnownKeys('options', options, nameOnly);
    const name = checkOptionalString('options.name', options?.name);
    const sources: CancelationSource[] = [];
    const seen = new Map<unknown, number>();
    Array.from(items).forEach((item: unknown, index) => { // Array.from: a hole is an undefined item, not skipped
      const first = seen.get(item);
      if (first !== undefined) {
        throw new TypeError(`sources[${index}] is the same item as sources[${first}]; list each source once`);
      }
      seen.set(item, index);
      sources.push(toSource(item, index));
    });
    super({ reason: sources[0]?.reason ?? 'manual', name: name ?? `${kind}(${sources.map((s) => s.name).join(', ')})` });
    this.sources = Object.freeze(sources);
  }

  protected activate(target: SourceTarget): CompositeActivation {
    const children = this.sources;
    const activation: CompositeActivation = {
      target,
      states: new Array<unknown>(children.length),
      started: 0,
      seen: new Uint8Array(children.length),
      count: 0,
      done: false,
      active: true,
    };
    try {
      for (let i = 0; i < children.length; i++) {
        activation.states[i] = (children[i] as CancelationSource)[kActivate](new ChildTarget(this.#onChild, activation, i));
        activation.started = i + 1;
      }
    } catch (error) {
      this.deactivate(activation);
      throw error;
    }
    return activation;
  }

  protected deactivate(state: unknown): void {
    const activation = state as CompositeActivation;
    activation.active = false;
    const children = this.sources;
    const started = activation.started;
    activation.started = 0;
    for (let i = 0; i < started; i++) {
      const child = children[i] as CancelationSource;
      try {
        child[kDeactivate](activation.states[i]);
      } catch (error) {
        reportSourceError(activation.target.reportable, child, 'stop', error);
      }
      activation.states[i] = undefined;
    }
  }

  // A child fired (children may fire while they are being activated).
  readonly #onChild: ChildFired = (activation, index, init) => {
    if (!activation.active || activation.done) return;
    const result = this.childFired(activation, index, init);
    if (result === undefined) return;
    activation.done = true;
    activation.target[kFire](result, this);
  };

  /** What the composite fires with when child `index` fires, or undefined to wait for more. */
  protected abstract childFired(activation: CompositeActivation, index: number, init: CancelationInit): CancelationInit | undefined;
}

/**
 * Fires as soon as any of its sources fires, with that source's own reason, message and details (a
 * timeout stays a `TimeoutCancelation`, a signal a `SignalCancelation`...). Nestable; every kind of
 * source works inside, tokens and AbortSignals included. A scope's own `sources` already behave
 * this way: use `AnyOfSource` to group sources inside an {@link AllOfSource}.
 *
 * @example
 * ```ts
 * // Cancel when (the user pressed Ctrl+C or 10 minutes passed) and the queue is drained.
 * const source = new AllOfSource([
 *   new AnyOfSource([new SignalSource('SIGINT'), new TimeoutSource(600_000)]),
 *   new ConditionSource(() => queue.length === 0, 500, { name: 'queue drained' }),
 * ]);
 * await new Cancelable({ sources: [source] }).run(consume);
 * ```
 */
export class AnyOfSource extends CompositeSource {
  constructor(sources: readonly CompositeItem[], options?: CompositeSourceOptions) {
    super('any-of', sources, options);
  }

  protected childFired(_activation: CompositeActivation, _index: number, init: CancelationInit): CancelationInit {
    return init;
  }
}

/**
 * Fires once every one of its sources has fired (each counted once, whatever it fires again), with
 * the reason and details of the one that completed the set and the message
 * `All <n> sources have triggered`. Nestable; every kind of source works inside, timeouts and
 * deadlines included (e.g. "at least 5 s have passed and the job is idle").
 *
 * @example
 * ```ts
 * const source = new AllOfSource([new TimeoutSource(5_000), new ConditionSource(() => idle(), 250)]);
 * await new Cancelable({ sources: [source] }).run(worker);
 * ```
 */
export class AllOfSource extends CompositeSource {
  constructor(sources: readonly CompositeItem[], options?: CompositeSourceOptions) {
    super('all-of', sources, options);
  }

  protected childFired(activation: CompositeActivation, index: number, init: CancelationInit): CancelationInit | undefined {
    if (activation.seen[index] === 1) return undefined;
    activation.seen[index] = 1;
    const n = this.sources.length;
    if (++activation.count < n) return undefined;
    return { ...init, message: `All ${n} sources have triggered` };
  }
}
