/**
 * Random scope trees for the property tests: the model (what fast-check generates), and the world
 * that runs one model on a ManualClock and checks every invariant of SPEC §2–§5 afterwards.
 *
 * A model is a tree of scopes. Each scope has random sources (timeouts, deadlines, shared tokens,
 * shared AbortControllers, polled conditions, SIGUSR2, any-of / all-of), a random grace period,
 * random callbacks (sync, async, throwing, rejecting) and a random body: a list of steps (library
 * sleeps, awaits that ignore cancellation, children started and awaited or not, shields, streams,
 * cancellations of itself / another scope / a shared token or controller, progress reports, throws)
 * and an ending (return, throw, or ignore the cancellation forever). The driver also applies
 * random cancellations from outside at random times (scope.cancel, tokens, controllers, conditions,
 * a real SIGUSR2 through process.kill, registry.cancelAll).
 *
 * Every event is stamped with a sequence number (order) and the manual clock's time (grace bounds).
 */
import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import {
  AbortSignalSource,
  AllOfSource,
  AnyOfSource,
  Cancelable,
  CancelationToken,
  ConditionSource,
  DeadlineSource,
  isCancelationError,
  OperationRegistry,
  ParentCancelation,
  SignalSource,
  subscribeDiagnostics,
  TimeoutCancelation,
  TimeoutSource,
  TokenSource,
  type CancelationError,
  type CancelationSource,
  type OperationContext,
  type CancelScope,
} from '../../src/index.js';
import { flushMicrotasks, ManualClock } from '../../src/testing/index.js';

// ------------------------------------------------------------------------------------------ model

export type CallbackMode = 'sync' | 'async' | 'throw' | 'reject';

export type SourceSpec =
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'deadline'; readonly at: number }
  | { readonly kind: 'token'; readonly index: number }
  | { readonly kind: 'abort'; readonly index: number }
  | { readonly kind: 'condition'; readonly flag: number; readonly interval: number; readonly mode: 'sync' | 'async' | 'throws' }
  | { readonly kind: 'signal' }
  | { readonly kind: 'allOf'; readonly token: number; readonly ms: number }
  | { readonly kind: 'anyOf'; readonly controller: number; readonly ms: number };

export type ShieldStep =
  | { readonly kind: 'sleep'; readonly ms: number }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'progress' };

export type StepSpec =
  | { readonly kind: 'sleep'; readonly ms: number; readonly swallow: boolean }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'spawn'; readonly children: NodeSpec[]; readonly wait: 'all' | 'allSettled' | 'none'; readonly swallow: boolean }
  | {
      readonly kind: 'shield';
      readonly steps: ShieldStep[];
      readonly timeout: number | undefined;
      readonly swallow: boolean;
      /** false: started and not awaited (run() must still wait for it). */
      readonly awaited: boolean;
    }
  | { readonly kind: 'race'; readonly ms: number; readonly outcome: 'resolve' | 'reject'; readonly swallow: boolean }
  /** A child scope through `await using scope = new Cancelable().enter()` around a sleep. */
  | { readonly kind: 'enter'; readonly ms: number; readonly swallow: boolean }
  | { readonly kind: 'cancel'; readonly target: number | 'self' }
  | { readonly kind: 'token'; readonly index: number }
  | { readonly kind: 'abort'; readonly index: number }
  | { readonly kind: 'flag'; readonly index: number }
  | { readonly kind: 'progress' }
  | { readonly kind: 'check'; readonly swallow: boolean }
  | { readonly kind: 'throw' }
  | { readonly kind: 'stream'; readonly items: number; readonly itemDelay: number; readonly swallow: boolean };

export interface NodeSpec {
  readonly graceMs: number;
  readonly sources: SourceSpec[];
  readonly steps: StepSpec[];
  readonly ending: 'return' | 'throw' | 'ignore';
  readonly callbacks: {
    readonly start: CallbackMode;
    readonly complete: CallbackMode;
    readonly cancel: CallbackMode;
    readonly error: CallbackMode;
    readonly progress: CallbackMode;
  };
  readonly register: boolean;
  readonly explicitParent: boolean;
  /** Reads `scope.signal` at the start of the body (a real AbortSignal then exists). */
  readonly readSignal: boolean;
  /** Its callbacks (start, end, progress) also cancel this scope of the tree (re-entrancy). */
  readonly callbackCancels: number | null;
}

export type ActionSpec =
  | { readonly kind: 'cancel'; readonly target: number }
  | { readonly kind: 'token'; readonly index: number; readonly async: boolean }
  | { readonly kind: 'abort'; readonly index: number; readonly with: 'default' | 'timeout' | 'error' }
  | { readonly kind: 'flag'; readonly index: number }
  | { readonly kind: 'signal' }
  | { readonly kind: 'registry' };

export interface Model {
  readonly root: NodeSpec;
  readonly rootTimeout: number;
  readonly actions: { readonly at: number; readonly action: ActionSpec }[];
}

export const TOKENS = 3;
export const CONTROLLERS = 2;
export const FLAGS = 2;
/** At most this many scopes per tree (children beyond the budget are pruned). */
export const MAX_SCOPES = 14;

const mode = fc.constantFrom<CallbackMode>('sync', 'sync', 'async', 'throw', 'reject');

const sourceArb: fc.Arbitrary<SourceSpec> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('timeout' as const), ms: fc.integer({ min: 0, max: 400 }) }), weight: 3 },
  fc.record({ kind: fc.constant('deadline' as const), at: fc.integer({ min: 0, max: 600 }) }),
  { arbitrary: fc.record({ kind: fc.constant('token' as const), index: fc.nat(TOKENS - 1) }), weight: 2 },
  fc.record({ kind: fc.constant('abort' as const), index: fc.nat(CONTROLLERS - 1) }),
  fc.record({
    kind: fc.constant('condition' as const),
    flag: fc.nat(FLAGS - 1),
    interval: fc.constantFrom(25, 50, 100),
    mode: fc.constantFrom('sync' as const, 'async' as const, 'throws' as const),
  }),
  fc.record({ kind: fc.constant('signal' as const) }),
  fc.record({ kind: fc.constant('allOf' as const), token: fc.nat(TOKENS - 1), ms: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ kind: fc.constant('anyOf' as const), controller: fc.nat(CONTROLLERS - 1), ms: fc.integer({ min: 0, max: 300 }) }),
);

const shieldStepArb: fc.Arbitrary<ShieldStep> = fc.oneof(
  fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constant('delay' as const), ms: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constant('progress' as const) }),
);

const leafStepArb: fc.Arbitrary<StepSpec> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 300 }), swallow: fc.boolean() }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('delay' as const), ms: fc.integer({ min: 0, max: 150 }) }), weight: 2 },
  fc.record({
    kind: fc.constant('shield' as const),
    steps: fc.array(shieldStepArb, { maxLength: 3 }),
    timeout: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
    swallow: fc.boolean(),
    awaited: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('enter' as const), ms: fc.integer({ min: 0, max: 200 }), swallow: fc.boolean() }),
  fc.record({
    kind: fc.constant('race' as const),
    ms: fc.integer({ min: 0, max: 200 }),
    outcome: fc.constantFrom('resolve' as const, 'reject' as const),
    swallow: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('cancel' as const), target: fc.oneof(fc.constant('self' as const), fc.nat(MAX_SCOPES - 1)) }),
  fc.record({ kind: fc.constant('token' as const), index: fc.nat(TOKENS - 1) }),
  fc.record({ kind: fc.constant('abort' as const), index: fc.nat(CONTROLLERS - 1) }),
  fc.record({ kind: fc.constant('flag' as const), index: fc.nat(FLAGS - 1) }),
  fc.record({ kind: fc.constant('progress' as const) }),
  fc.record({ kind: fc.constant('check' as const), swallow: fc.boolean() }),
  { arbitrary: fc.record({ kind: fc.constant('throw' as const) }), weight: 1 },
  fc.record({
    kind: fc.constant('stream' as const),
    items: fc.integer({ min: 0, max: 5 }),
    itemDelay: fc.integer({ min: 0, max: 40 }),
    swallow: fc.boolean(),
  }),
);

const { node: nodeArb } = fc.letrec<{ node: NodeSpec; step: StepSpec }>((tie) => ({
  node: fc.record({
    graceMs: fc.constantFrom(0, 5, 20, 100, Infinity),
    sources: fc.array(sourceArb, { maxLength: 2 }),
    steps: fc.array(tie('step'), { minLength: 1, maxLength: 5 }),
    ending: fc.constantFrom('return' as const, 'return' as const, 'throw' as const, 'ignore' as const),
    callbacks: fc.record({ start: mode, complete: mode, cancel: mode, error: mode, progress: mode }),
    register: fc.boolean(),
    explicitParent: fc.boolean(),
    readSignal: fc.boolean(),
    callbackCancels: fc.option(fc.nat(MAX_SCOPES - 1), { freq: 4 }),
  }),
  step: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'scope-tree', withCrossShrink: true },
    { arbitrary: leafStepArb, weight: 4 },
    {
      arbitrary: fc.record({
        kind: fc.constant('spawn' as const),
        children: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
        wait: fc.constantFrom('all' as const, 'allSettled' as const, 'none' as const),
        swallow: fc.boolean(),
      }),
      weight: 3,
    },
  ),
}));

const actionArb: fc.Arbitrary<ActionSpec> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), target: fc.nat(MAX_SCOPES - 1) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('token' as const), index: fc.nat(TOKENS - 1), async: fc.boolean() }), weight: 2 },
  fc.record({
    kind: fc.constant('abort' as const),
    index: fc.nat(CONTROLLERS - 1),
    with: fc.constantFrom('default' as const, 'timeout' as const, 'error' as const),
  }),
  fc.record({ kind: fc.constant('flag' as const), index: fc.nat(FLAGS - 1) }),
  fc.record({ kind: fc.constant('signal' as const) }),
  fc.record({ kind: fc.constant('registry' as const) }),
);

/** Prunes the tree to MAX_SCOPES scopes (breadth first) and keeps every body finite where required. */
function normalize(root: NodeSpec): NodeSpec {
  let budget = MAX_SCOPES - 1;
  const fix = (node: NodeSpec, depthQueue: (() => void)[]): NodeSpec => {
    // A body that ignores cancellation forever needs a finite grace, or nothing could end it.
    const ending = node.ending === 'ignore' && node.graceMs === Infinity ? 'return' : node.ending;
    const steps: StepSpec[] = node.steps.map((step) => {
      if (step.kind !== 'spawn') return step;
      const kept = step.children.slice(0, Math.max(0, budget));
      budget -= kept.length;
      if (kept.length === 0) return { kind: 'progress' };
      const children: NodeSpec[] = kept.slice();
      depthQueue.push(() => {
        for (let i = 0; i < children.length; i++) children[i] = fix(children[i] as NodeSpec, depthQueue);
      });
      return { ...step, children };
    });
    return { ...node, ending, steps };
  };
  const queue: (() => void)[] = [];
  const fixed = fix(root, queue);
  while (queue.length > 0) (queue.shift() as () => void)();
  return fixed;
}

export const modelArb: fc.Arbitrary<Model> = fc
  .record({
    root: nodeArb,
    rootTimeout: fc.integer({ min: 20, max: 1_500 }),
    actions: fc.array(fc.record({ at: fc.integer({ min: 0, max: 900 }), action: actionArb }), { maxLength: 4 }),
  })
  .map(({ root, rootTimeout, actions }) => ({
    root: normalize(root),
    rootTimeout,
    actions: actions.slice().sort((a, b) => a.at - b.at),
  }));

// ------------------------------------------------------------------------------------------ world

interface Stamp {
  readonly seq: number;
  readonly at: number;
}

interface CallbackCall extends Stamp {
  readonly kind: 'start' | 'complete' | 'cancel' | 'error';
  readonly status: string;
  readonly settledBefore: boolean;
}

/** Everything observed about one scope (a scope of the tree, the inner scope of a shield, an entered scope). */
export interface ScopeRecord {
  readonly label: string;
  readonly kind: 'tree' | 'shield' | 'entered';
  readonly scope: Cancelable;
  readonly node: NodeSpec | undefined;
  readonly graceMs: number;
  /** The expected parent (tree scopes), undefined for the root and shields. */
  readonly parent: ScopeRecord | undefined;
  readonly children: ScopeRecord[];
  readonly shields: ShieldRecord[];
  /** Distinct value / error of this scope's body. */
  readonly value: { readonly scope: string };
  readonly failure: Error;
  starts: Stamp[];
  ends: (Stamp & { status: string })[];
  cancels: (Stamp & { error: CancelationError })[];
  abandoned: (Stamp & { outcome: string })[];
  bodyStart: Stamp | undefined;
  bodyDone: (Stamp & { ok: boolean; value: unknown; cancelled: boolean }) | undefined;
  runSettled: (Stamp & { ok: boolean; value: unknown }) | undefined;
  callbacks: CallbackCall[];
  /** The scope's signal, when the body read it. */
  signal: AbortSignal | undefined;
}

interface ShieldRecord {
  readonly outer: ScopeRecord;
  inner: ScopeRecord | undefined;
  readonly steps: number;
  stepsDone: number;
  bodyCompleted: boolean;
  settled: (Stamp & { ok: boolean; value: unknown }) | undefined;
  refused: unknown;
}

interface StreamRecord {
  readonly owner: ScopeRecord;
  started: boolean;
  closed: boolean;
}

const never = new Promise<never>(() => {});

/** Runs one model and collects every invariant it breaks (empty: all held). */
export class World {
  readonly clock = new ManualClock();
  readonly tokens: CancelationToken[] = [];
  readonly controllers: AbortController[] = [];
  readonly flags: boolean[] = new Array<boolean>(FLAGS).fill(false);
  readonly registry = new OperationRegistry();
  readonly records: ScopeRecord[] = [];
  readonly byScope = new Map<Cancelable, ScopeRecord>();
  readonly shields: ShieldRecord[] = [];
  readonly streams: StreamRecord[] = [];
  readonly violations: string[] = [];
  /** Callback invocations meant to throw or reject (each must be reported once). */
  expectedCallbackErrors = 0;
  /** Sync predicate throws (each must be reported once). */
  expectedPredicateErrors = 0;
  readonly callbackErrors: unknown[] = [];
  readonly sourceErrors: { phase: string; error: unknown }[] = [];
  /** Our own timers on the manual clock (awaits that ignore cancellation), pending. */
  userTimers = 0;
  #seq = 0;
  readonly #prefix: string;
  #offDiagnostics: () => void = () => {};
  readonly #signalWaiters: (() => void)[] = [];
  readonly signalListener = (): void => {
    for (const wake of this.#signalWaiters.splice(0)) wake();
  };

  constructor(
    readonly model: Model,
    runNumber: number,
  ) {
    this.#prefix = `r${runNumber}`;
    for (let i = 0; i < TOKENS; i++) this.tokens.push(new CancelationToken());
    for (let i = 0; i < CONTROLLERS; i++) this.controllers.push(new AbortController());
  }

  stamp(): Stamp {
    return { seq: this.#seq++, at: this.clock.now() };
  }

  violation(message: string): void {
    this.violations.push(message);
  }

  // ---------------------------------------------------------------- building

  #buildTree(): void {
    const build = (node: NodeSpec, parent: ScopeRecord | undefined, extraSources: CancelationSource[]): ScopeRecord => {
      const index = this.records.length;
      const label = `s${index}`;
      const scope = new Cancelable({
        name: label,
        id: `${this.#prefix}-${label}`,
        clock: this.clock,
        graceMs: node.graceMs,
        sources: [...node.sources.map((spec) => this.#source(spec)), ...extraSources],
        register: node.register ? this.registry : false,
        ...(node.explicitParent && parent !== undefined ? { parent: parent.scope } : {}),
      });
      const record: ScopeRecord = {
        label,
        kind: 'tree',
        signal: undefined,
        scope,
        node,
        graceMs: node.graceMs,
        parent,
        children: [],
        shields: [],
        value: { scope: label },
        failure: new Error(`failure of ${label}`),
        starts: [],
        ends: [],
        cancels: [],
        abandoned: [],
        bodyStart: undefined,
        bodyDone: undefined,
        runSettled: undefined,
        callbacks: [],
      };
      this.records.push(record);
      this.byScope.set(scope, record);
      parent?.children.push(record);
      this.#attachCallbacks(record, node);
      for (const step of node.steps) {
        if (step.kind === 'spawn') for (const child of step.children) build(child, record, []);
      }
      return record;
    };
    build(this.model.root, undefined, [new TimeoutSource(this.model.rootTimeout)]);
  }

  #source(spec: SourceSpec): CancelationSource {
    switch (spec.kind) {
      case 'timeout':
        return new TimeoutSource(spec.ms);
      case 'deadline':
        return new DeadlineSource(spec.at);
      case 'token':
        return new TokenSource(this.tokens[spec.index] as CancelationToken);
      case 'abort':
        return new AbortSignalSource((this.controllers[spec.index] as AbortController).signal);
      case 'signal':
        return new SignalSource('SIGUSR2');
      case 'allOf':
        return new AllOfSource([this.tokens[spec.token] as CancelationToken, new TimeoutSource(spec.ms)]);
      case 'anyOf':
        return new AnyOfSource([(this.controllers[spec.controller] as AbortController).signal, new TimeoutSource(spec.ms)]);
      case 'condition': {
        const flags = this.flags;
        const index = spec.flag;
        const predicate =
          spec.mode === 'sync'
            ? () => flags[index] === true
            : spec.mode === 'async'
              ? () => Promise.resolve(flags[index] === true)
              : () => {
                  if (flags[index] === true) return true;
                  this.expectedPredicateErrors++;
                  throw new Error(`predicate ${index} failed`);
                };
        return new ConditionSource(predicate, spec.interval, { name: `flag${index}` });
      }
    }
  }

  #attachCallbacks(record: ScopeRecord, node: NodeSpec): void {
    const scope = record.scope;
    const make =
      (kind: CallbackCall['kind'], how: CallbackMode) =>
      (context: OperationContext): void | Promise<void> => {
        record.callbacks.push({ kind, status: context.status, settledBefore: record.runSettled !== undefined, ...this.stamp() });
        if (node.callbackCancels !== null) {
          this.#cancel(this.records[node.callbackCancels % this.treeSize] as ScopeRecord, `cancelled by on${kind} of ${record.label}`);
        }
        if (how === 'throw' || how === 'reject') this.expectedCallbackErrors++;
        if (how === 'throw') throw new Error(`${kind} callback of ${record.label} throws`);
        if (how === 'reject') return Promise.reject(new Error(`${kind} callback of ${record.label} rejects`));
        if (how === 'async') return Promise.resolve().then(() => undefined);
        return undefined;
      };
    scope.onStart(make('start', node.callbacks.start));
    scope.onComplete(make('complete', node.callbacks.complete));
    scope.onCancel(make('cancel', node.callbacks.cancel));
    scope.onError((context) => make('error', node.callbacks.error)(context));
    const progress = node.callbacks.progress;
    scope.onProgress(() => {
      if (node.callbackCancels !== null) {
        this.#cancel(this.records[node.callbackCancels % this.treeSize] as ScopeRecord, `cancelled by onProgress of ${record.label}`);
      }
      if (progress === 'throw' || progress === 'reject') this.expectedCallbackErrors++;
      if (progress === 'throw') throw new Error(`progress callback of ${record.label} throws`);
      if (progress === 'reject') return Promise.reject(new Error(`progress callback of ${record.label} rejects`));
      return undefined;
    });
  }

  #shieldRecord(scope: CancelScope): ScopeRecord | undefined {
    return this.#shieldRecordOf(scope as Cancelable);
  }

  #shieldRecordOf(scope: Cancelable): ScopeRecord | undefined {
    const existing = this.byScope.get(scope);
    if (existing !== undefined) return existing;
    const outerId = (scope.metadata as { shieldOf?: unknown }).shieldOf;
    const outer = this.records.find((r) => r.scope.id === outerId && r.node !== undefined);
    if (outer === undefined) return undefined;
    const record: ScopeRecord = {
      label: `${outer.label}:shield${outer.shields.length}`,
      kind: 'shield',
      signal: undefined,
      scope,
      node: undefined,
      graceMs: scope.graceMs,
      parent: undefined,
      children: [],
      shields: [],
      value: { scope: 'shield' },
      failure: new Error('unused'),
      starts: [],
      ends: [],
      cancels: [],
      abandoned: [],
      bodyStart: undefined,
      bodyDone: undefined,
      runSettled: undefined,
      callbacks: [],
    };
    this.records.push(record);
    this.byScope.set(scope, record);
    return record;
  }

  #subscribe(): void {
    this.#offDiagnostics = subscribeDiagnostics({
      start: ({ scope }) => this.#shieldRecord(scope)?.starts.push(this.stamp()),
      end: ({ scope, status }) => this.#shieldRecord(scope)?.ends.push({ status, ...this.stamp() }),
      cancel: ({ scope, error }) => this.#shieldRecord(scope)?.cancels.push({ error, ...this.stamp() }),
      abandoned: ({ scope, outcome }) => this.byScope.get(scope as Cancelable)?.abandoned.push({ outcome, ...this.stamp() }),
      callbackError: ({ error }) => this.callbackErrors.push(error),
      sourceError: ({ phase, error }) => this.sourceErrors.push({ phase, error }),
    });
  }

  // ---------------------------------------------------------------- bodies

  /** An await that ignores cancellation: our own timer on the manual clock. */
  userDelay(ms: number): Promise<void> {
    this.userTimers++;
    return new Promise<void>((resolve) => {
      this.clock.setTimeout(
        () => {
          this.userTimers--;
          resolve();
        },
        ms,
        undefined,
      );
    });
  }

  #run(record: ScopeRecord): Promise<unknown> {
    const scope = record.scope;
    const body = (s: Cancelable): Promise<unknown> => {
      record.bodyStart = this.stamp();
      if (record.node?.readSignal === true) record.signal = scope.signal;
      if (s !== scope) this.violation(`${record.label}: body got another scope`);
      if (Cancelable.current() !== scope) this.violation(`${record.label}: Cancelable.current() is not the scope in its body`);
      const expectedParent = record.parent?.scope;
      if (scope.parent !== expectedParent) {
        this.violation(`${record.label}: parent is ${scope.parent?.name ?? 'none'}, expected ${expectedParent?.name ?? 'none'}`);
      }
      const promise = this.#body(record);
      promise.then(
        (value) => (record.bodyDone = { ok: true, value, cancelled: scope.isCancelled, ...this.stamp() }),
        (error: unknown) => (record.bodyDone = { ok: false, value: error, cancelled: scope.isCancelled, ...this.stamp() }),
      );
      return promise;
    };
    const run = scope.run(body);
    run.then(
      (value) => (record.runSettled = { ok: true, value, ...this.stamp() }),
      (error: unknown) => (record.runSettled = { ok: false, value: error, ...this.stamp() }),
    );
    return run;
  }

  async #body(record: ScopeRecord): Promise<unknown> {
    const node = record.node as NodeSpec;
    const scope = record.scope;
    for (const step of node.steps) {
      // A well-behaved body that was abandoned stops here (the library cannot stop it).
      if (!scope.isRunning) return undefined;
      await this.#step(record, step);
    }
    if (!scope.isRunning) return undefined;
    if (node.ending === 'throw') throw record.failure;
    if (node.ending === 'ignore') await never;
    return record.value;
  }

  async #swallow(record: ScopeRecord, what: string, promise: Promise<unknown>, swallow: boolean): Promise<void> {
    try {
      await promise;
    } catch (error) {
      if (!swallow) throw error;
      const expected = error === record.scope.cancelError || (what === 'race' && error instanceof Error && error.message.startsWith('late failure'));
      if ((what === 'sleep' || what === 'race') && !expected) {
        this.violation(`${record.label}: ${what} rejected with ${String(error)}, not the scope's cancellation error`);
      }
    }
  }

  async #step(record: ScopeRecord, step: StepSpec): Promise<void> {
    const scope = record.scope;
    switch (step.kind) {
      case 'sleep':
        return this.#swallow(record, 'sleep', scope.sleep(step.ms), step.swallow);
      case 'delay':
        return this.userDelay(step.ms);
      case 'spawn': {
        const children = this.records.filter((r) => r.parent === record && step.children.includes(r.node as NodeSpec));
        const runs = children.map((child) => this.#run(child));
        if (step.wait === 'none') return undefined;
        if (step.wait === 'allSettled') {
          await Promise.allSettled(runs);
          return undefined;
        }
        return this.#swallow(record, 'spawn', Promise.all(runs), step.swallow);
      }
      case 'shield':
        return this.#shield(record, step);
      case 'enter':
        return this.#enter(record, step);
      case 'race': {
        // A promise that ignores cancellation and may reject after losing the race (never unhandled).
        const work = this.userDelay(step.ms).then(() => {
          if (step.outcome === 'reject') throw new Error(`late failure in ${record.label}`);
          return 'raced';
        });
        return this.#swallow(record, 'race', scope.race(work), step.swallow);
      }
      case 'cancel': {
        const target = step.target === 'self' ? record : this.records[step.target % this.treeSize];
        this.#cancel(target as ScopeRecord, `cancelled by ${record.label}`);
        return undefined;
      }
      case 'token':
        (this.tokens[step.index] as CancelationToken).cancelSync(`token ${step.index} by ${record.label}`);
        return undefined;
      case 'abort':
        (this.controllers[step.index] as AbortController).abort();
        return undefined;
      case 'flag':
        this.flags[step.index] = true;
        return undefined;
      case 'progress':
        scope.reportProgress(`progress of ${record.label}`, { at: this.clock.now() });
        return undefined;
      case 'check':
        try {
          scope.throwIfCancelled();
        } catch (error) {
          if (error !== scope.cancelError) this.violation(`${record.label}: throwIfCancelled threw a foreign error`);
          if (!step.swallow) throw error;
        }
        if (!scope.isCancelled && scope.cancelError !== undefined) this.violation(`${record.label}: cancelError without isCancelled`);
        return undefined;
      case 'throw':
        throw record.failure;
      case 'stream':
        return this.#swallow(record, 'stream', this.#stream(record, step.items, step.itemDelay), step.swallow);
    }
  }

  async #stream(record: ScopeRecord, items: number, itemDelay: number): Promise<void> {
    const stream: StreamRecord = { owner: record, started: false, closed: false };
    this.streams.push(stream);
    const delay = (ms: number): Promise<void> => this.userDelay(ms);
    async function* source(): AsyncGenerator<number> {
      stream.started = true;
      try {
        for (let i = 0; i < items; i++) {
          await delay(itemDelay); // a source that ignores cancellation
          yield i;
        }
      } finally {
        stream.closed = true;
      }
    }
    let expected = 0;
    for await (const item of record.scope.stream(source())) {
      if (item !== expected++) this.violation(`${record.label}: stream delivered ${item}, expected ${expected - 1}`);
    }
    if (expected !== items) this.violation(`${record.label}: the stream ended 'done' after ${expected}/${items} items`);
  }

  async #enter(record: ScopeRecord, step: Extract<StepSpec, { kind: 'enter' }>): Promise<void> {
    const scope = new Cancelable({ name: `${record.label}:entered`, clock: this.clock, graceMs: Infinity });
    const entered: ScopeRecord = {
      label: `${record.label}:entered${record.children.filter((c) => c.kind === 'entered').length}`,
      kind: 'entered',
      scope,
      node: undefined,
      graceMs: Infinity, // no grace with enter(): the block is the caller's own code
      parent: record,
      children: [],
      shields: [],
      value: { scope: 'entered' },
      failure: new Error('unused'),
      starts: [],
      ends: [],
      cancels: [],
      abandoned: [],
      bodyStart: undefined,
      bodyDone: undefined,
      runSettled: undefined,
      callbacks: [],
      signal: undefined,
    };
    this.records.push(entered);
    this.byScope.set(scope, entered);
    record.children.push(entered);
    try {
      await using s = scope.enter();
      entered.bodyStart = this.stamp();
      if (Cancelable.current() !== s) this.violation(`${entered.label}: not Cancelable.current() after enter()`);
      if (s.parent !== record.scope) this.violation(`${entered.label}: parent ${s.parent?.name ?? 'none'}, expected ${record.label}`);
      try {
        await s.sleep(step.ms);
        entered.bodyDone = { ok: true, value: undefined, cancelled: s.isCancelled, ...this.stamp() };
      } catch (error) {
        entered.bodyDone = { ok: false, value: error, cancelled: s.isCancelled, ...this.stamp() };
        if (error !== s.cancelError) this.violation(`${entered.label}: sleep rejected with a foreign error`);
        if (!step.swallow) throw error;
      }
    } finally {
      if (Cancelable.current() !== record.scope && record.scope.isRunning) {
        this.violation(`${record.label}: Cancelable.current() not restored after the entered block`);
      }
      const status = scope.status;
      if (status !== 'completed' && status !== 'cancelled') this.violation(`${entered.label}: ${status} after disposal`);
      if ((status === 'cancelled') !== scope.isCancelled) this.violation(`${entered.label}: ${status} but isCancelled ${scope.isCancelled}`);
    }
  }

  async #shield(record: ScopeRecord, step: Extract<StepSpec, { kind: 'shield' }>): Promise<void> {
    const shield: ShieldRecord = {
      outer: record,
      inner: undefined,
      steps: step.steps.length,
      stepsDone: 0,
      bodyCompleted: false,
      settled: undefined,
      refused: undefined,
    };
    let promise: Promise<unknown>;
    try {
      promise = record.scope.shield(
        async (inner) => {
          const innerRecord = this.#shieldRecord(inner);
          shield.inner = innerRecord;
          if (innerRecord !== undefined) innerRecord.bodyStart = this.stamp();
          try {
            for (const s of step.steps) {
              if (s.kind === 'sleep') await inner.sleep(s.ms);
              else if (s.kind === 'delay') await this.userDelay(s.ms);
              else inner.reportProgress('shielded progress');
              shield.stepsDone++;
            }
            shield.bodyCompleted = true;
            if (innerRecord !== undefined) innerRecord.bodyDone = { ok: true, value: 'shield', cancelled: inner.isCancelled, ...this.stamp() };
            return 'shield';
          } catch (error) {
            if (innerRecord !== undefined) innerRecord.bodyDone = { ok: false, value: error, cancelled: inner.isCancelled, ...this.stamp() };
            throw error;
          }
        },
        step.timeout === undefined ? undefined : { timeout: step.timeout },
      );
    } catch (error) {
      shield.refused = error;
      record.shields.push(shield);
      this.shields.push(shield);
      if (!step.swallow) throw error;
      return undefined;
    }
    record.shields.push(shield);
    this.shields.push(shield);
    promise.then(
      (value) => (shield.settled = { ok: true, value, ...this.stamp() }),
      (error: unknown) => (shield.settled = { ok: false, value: error, ...this.stamp() }),
    );
    if (!step.awaited) return undefined;
    return this.#swallow(record, 'shield', promise, step.swallow);
  }

  get treeSize(): number {
    return this.records.filter((r) => r.node !== undefined).length;
  }

  #cancel(target: ScopeRecord, message: string): void {
    const before = target.scope.isCancelled;
    const ended = target.scope.status !== 'pending' && target.scope.status !== 'running';
    const result = target.scope.cancel(message);
    if (result !== (!before && !ended)) {
      this.violation(`${target.label}: cancel() returned ${result} (cancelled before: ${before}, ended: ${ended})`);
    }
    if (result && target.scope.cancelError?.message !== message) {
      this.violation(`${target.label}: cancel() returned true but the error says ${target.scope.cancelError?.message}`);
    }
  }

  // ---------------------------------------------------------------- driving

  async #apply(action: ActionSpec): Promise<void> {
    switch (action.kind) {
      case 'cancel': {
        const target = this.records[action.target % this.treeSize] as ScopeRecord;
        this.#cancel(target, 'cancelled from outside');
        return;
      }
      case 'token': {
        const token = this.tokens[action.index] as CancelationToken;
        if (action.async) await token.cancel(`token ${action.index} from outside`);
        else token.cancelSync(`token ${action.index} from outside`);
        return;
      }
      case 'abort': {
        const controller = this.controllers[action.index] as AbortController;
        if (action.with === 'default') controller.abort();
        else if (action.with === 'timeout') controller.abort(new DOMException('deadline', 'TimeoutError'));
        else controller.abort(new Error('aborted from outside'));
        return;
      }
      case 'flag':
        this.flags[action.index] = true;
        return;
      case 'signal': {
        // A real signal: wait (in real time) until it has been delivered, so runs stay reproducible.
        const delivered = new Promise<void>((resolve) => this.#signalWaiters.push(resolve));
        process.kill(process.pid, 'SIGUSR2');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([delivered, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
        clearTimeout(timer);
        return;
      }
      case 'registry':
        this.registry.cancelAll(undefined, 'cancelled through the registry');
        return;
    }
  }

  /** Runs the model; resolves with the violations found (empty when every invariant held). */
  async execute(): Promise<string[]> {
    this.#buildTree();
    this.#subscribe();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    const signalListeners = process.listenerCount('SIGUSR2');
    try {
      const root = this.records[0] as ScopeRecord;
      void this.#run(root).catch(() => undefined);
      const actions = this.model.actions;
      let next = 0;
      let fired = 0;
      while (root.runSettled === undefined) {
        const action = actions[next];
        const timerAt = this.clock.nextTimerAt();
        if (action !== undefined && (timerAt === undefined || action.at <= timerAt)) {
          await this.clock.advance(Math.max(0, action.at - this.clock.now()));
          if (root.runSettled !== undefined) break;
          await this.#apply(action.action);
          next++;
          continue;
        }
        if (timerAt === undefined) {
          await flushMicrotasks();
          if (root.runSettled !== undefined) break;
          this.violation(`the root never settled: nothing left to fire at t=${this.clock.now()}`);
          break;
        }
        if (++fired > 20_000) {
          this.violation(`the root never settled: 20000 timers fired, t=${this.clock.now()}`);
          break;
        }
        await this.clock.runNext();
      }
      await flushMicrotasks();
      await flushMicrotasks();
      this.#checkAfterRoot(signalListeners);
      // Let abandoned bodies and their sources finish (they stop at their next step), then look again.
      const statuses = this.records.map((r) => r.scope.status);
      await this.clock.runAll();
      await flushMicrotasks();
      if (this.clock.pendingTimers !== 0) this.violation(`${this.clock.pendingTimers} timers left after the abandoned bodies ended`);
      this.records.forEach((r, i) => {
        if (r.scope.status !== statuses[i]) this.violation(`${r.label}: status changed after the end: ${statuses[i]} -> ${r.scope.status}`);
      });
      // Every stream source that started was closed (its finally ran), whatever ended the loop.
      for (const stream of this.streams) {
        if (stream.started && !stream.closed) this.violation(`${stream.owner.label}: a stream source was never closed`);
      }
      const late = this.records.filter((r) => r.abandoned.some((a) => a.outcome !== 'pending'));
      for (const r of late) {
        if (!r.abandoned.some((a) => a.outcome === 'pending')) this.violation(`${r.label}: late outcome reported without an abandonment`);
      }
      await flushMicrotasks();
      if (unhandled.length > 0) this.violation(`unhandled rejections: ${unhandled.map(String).join('; ')}`);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      this.#offDiagnostics();
    }
    return this.violations;
  }

  // ---------------------------------------------------------------- invariants

  #checkAfterRoot(signalListeners: number): void {
    const v = (message: string): void => this.violation(message);
    for (const r of this.records) this.#checkScope(r, v);
    for (const shield of this.shields) this.#checkShield(shield, v);
    // Nothing left registered, listening or scheduled.
    if (this.clock.pendingTimers !== this.userTimers) {
      v(`${this.clock.pendingTimers - this.userTimers} library timers left on the clock after the root settled`);
    }
    this.tokens.forEach((token, i) => {
      if (token.listenerCount !== 0) v(`token ${i} still has ${token.listenerCount} listeners`);
    });
    this.controllers.forEach((controller, i) => {
      const n = getEventListeners(controller.signal, 'abort').length;
      if (n !== 0) v(`controller ${i}'s signal still has ${n} abort listeners`);
    });
    if (process.listenerCount('SIGUSR2') !== signalListeners) {
      v(`SIGUSR2 listeners: ${process.listenerCount('SIGUSR2')}, baseline ${signalListeners}`);
    }
    if (this.registry.size !== 0) v(`registry still holds ${this.registry.size} operations`);
    const expectedCallback = this.expectedCallbackErrors;
    if (this.callbackErrors.length !== expectedCallback) {
      v(`callback errors reported: ${this.callbackErrors.length}, thrown: ${expectedCallback}`);
    }
    const predicateReports = this.sourceErrors.filter((e) => e.phase === 'predicate').length;
    if (predicateReports !== this.expectedPredicateErrors) {
      v(`predicate errors reported: ${predicateReports}, thrown: ${this.expectedPredicateErrors}`);
    }
    const others = this.sourceErrors.filter((e) => e.phase !== 'predicate');
    if (others.length > 0) v(`unexpected source errors: ${others.map((e) => `${e.phase}: ${String(e.error)}`).join('; ')}`);
  }

  #checkScope(r: ScopeRecord, v: (message: string) => void): void {
    const scope = r.scope;
    const status = scope.status;
    const label = r.label;
    const started = r.starts.length > 0;
    if (r.starts.length > 1) v(`${label}: started ${r.starts.length} times`);
    if (!started) {
      if (status !== 'pending') v(`${label}: status ${status} but never started`);
      if (r.callbacks.length > 0) v(`${label}: callbacks ran but it never started`);
      return;
    }
    // Exactly one terminal status.
    if (status !== 'completed' && status !== 'cancelled' && status !== 'failed') {
      v(`${label}: still ${status} after the root settled`);
      return;
    }
    if (r.ends.length !== 1) v(`${label}: ${r.ends.length} end events`);
    const end = r.ends[0];
    if (end === undefined) return;
    if (end.status !== status) v(`${label}: ended ${end.status}, status now ${status}`);
    const context = scope.context;
    if (context.status !== status) v(`${label}: context.status ${context.status} != ${status}`);
    if (r.cancels.length > 1) v(`${label}: ${r.cancels.length} cancel events`);
    const cancel = r.cancels[0];
    if (cancel !== undefined && scope.cancelError !== cancel.error) v(`${label}: cancelError is not the error of its cancel event`);
    const signal = r.signal;
    if (signal !== undefined) {
      if (signal !== scope.signal) v(`${label}: scope.signal changed`);
      if (cancel !== undefined && !signal.aborted) v(`${label}: cancelled but its signal is not aborted`);
      if (signal.aborted && signal.reason !== scope.cancelError) v(`${label}: signal.reason is not the scope's cancelError`);
      if (signal.aborted && cancel === undefined) v(`${label}: signal aborted without a cancellation`);
    }

    // Callbacks: each kind at most once, the end one matching the status, before run() settles.
    if (r.node !== undefined) {
      const count = (kind: CallbackCall['kind']): number => r.callbacks.filter((c) => c.kind === kind).length;
      if (count('start') !== 1) v(`${label}: onStart ran ${count('start')} times`);
      const expected = status === 'completed' ? 'complete' : status === 'cancelled' ? 'cancel' : 'error';
      for (const kind of ['complete', 'cancel', 'error'] as const) {
        const n = count(kind);
        if (n !== (kind === expected ? 1 : 0)) v(`${label}: on${kind} ran ${n} times, status ${status}`);
      }
      for (const call of r.callbacks) {
        if (call.kind !== 'start' && call.status !== status) v(`${label}: on${call.kind} saw status ${call.status}, final ${status}`);
        if (call.settledBefore) v(`${label}: on${call.kind} ran after run() settled`);
        if (call.kind !== 'start' && call.seq < end.seq) v(`${label}: on${call.kind} ran before the end`);
        if (call.kind === 'start' && r.bodyStart !== undefined && call.seq > r.bodyStart.seq) v(`${label}: onStart ran after the body started`);
      }
      // run() settles consistently with the status.
      const settled = r.runSettled;
      if (settled === undefined) v(`${label}: run() has not settled`);
      else if (status === 'completed') {
        if (!settled.ok) v(`${label}: completed but run() rejected with ${String(settled.value)}`);
        else if (settled.value !== r.value) v(`${label}: completed with a foreign value`);
      } else if (settled.ok) v(`${label}: ${status} but run() resolved`);
      else if (status === 'cancelled') {
        if (settled.value !== scope.cancelError || !isCancelationError(settled.value)) {
          v(`${label}: cancelled but run() rejected with ${String(settled.value)}, not its cancelError`);
        }
      } else if (isCancelationError(settled.value)) v(`${label}: failed with a cancellation error`);
    }

    // The status follows from the body's outcome (SPEC §3).
    const abandonedAt = r.abandoned.find((a) => a.outcome === 'pending');
    const body = r.bodyDone;
    if (abandonedAt !== undefined) {
      if (status !== 'cancelled') v(`${label}: abandoned but ${status}`);
      if (body !== undefined && body.seq < abandonedAt.seq) v(`${label}: abandoned after its body settled`);
      if (cancel === undefined) v(`${label}: abandoned without a cancellation`);
      else {
        const graceFrom = Math.max(cancel.at, r.bodyStart?.at ?? cancel.at);
        if (abandonedAt.at < graceFrom + r.graceMs) v(`${label}: abandoned at ${abandonedAt.at}, before the grace ended (${graceFrom}+${r.graceMs})`);
      }
    } else if (r.kind === 'entered') {
      // Disposal decides: cancelled if it was cancelled, completed otherwise (it cannot see the block's error).
      if (status !== (scope.isCancelled ? 'cancelled' : 'completed')) v(`${label}: entered scope ${status}, isCancelled ${scope.isCancelled}`);
      if (body !== undefined && body.seq > end.seq) v(`${label}: ended before its block`);
    } else if (body === undefined || body.seq > end.seq) {
      v(`${label}: ended ${status} before its body settled, without abandoning it`);
    } else if (r.node !== undefined) {
      const expected = body.ok
        ? 'completed'
        : body.cancelled || isCancelationError(body.value)
          ? 'cancelled'
          : 'failed';
      if (status !== expected) v(`${label}: body ${body.ok ? 'resolved' : `rejected (${String(body.value)})`} (cancelled: ${body.cancelled}) but status ${status}`);
      if (status === 'failed' && r.runSettled !== undefined && r.runSettled.value !== body.value) {
        v(`${label}: failed with another error than its body's`);
      }
    }

    // No child outlives its parent; a cancelled parent's running children get a ParentCancelation.
    const kids = [...r.children, ...r.shields.map((s) => s.inner).filter((x): x is ScopeRecord => x !== undefined)];
    for (const child of kids) {
      const childEnd = child.ends[0];
      if (child.starts.length === 0) continue;
      if (childEnd === undefined || childEnd.seq > end.seq) v(`${child.label} outlived its parent ${label}`);
    }
    if (cancel !== undefined) {
      for (const child of r.children) {
        const childEnd = child.ends[0];
        if (child.starts.length === 0 || childEnd === undefined || childEnd.seq < cancel.seq) continue;
        const own = child.cancels[0];
        // Cancelled before: by itself, or (a late child) before it started.
        if (own !== undefined && own.seq < Math.max(cancel.seq, child.starts[0]?.seq ?? 0)) continue;
        // Its outcome was already decided (body settled or abandoned); it is only waiting for its own children.
        const decided = Math.min(child.bodyDone?.seq ?? Infinity, child.abandoned[0]?.seq ?? Infinity);
        if (decided < cancel.seq) continue;
        const error = child.scope.cancelError;
        if (!(error instanceof ParentCancelation)) {
          v(`${child.label} was running when its parent ${label} was cancelled, but ended with ${String(error)}`);
          continue;
        }
        if (error.parentId !== scope.id) v(`${child.label}: ParentCancelation names ${error.parentId}, not ${scope.id}`);
        if (error.parentReason !== cancel.error.reason) v(`${child.label}: parentReason ${error.parentReason}, parent's ${cancel.error.reason}`);
        // Propagation is synchronous: a running child is cancelled at the parent's instant; a late one at its start.
        const at = Math.max(cancel.at, child.starts[0]?.at ?? cancel.at);
        if (own !== undefined && own.at !== at) v(`${child.label}: cancelled at ${own.at}, expected ${at} (parent cancelled at ${cancel.at})`);
      }
    }

    // run() settles within the grace period after the cancellation, unless children or shields hold it;
    // a grace period that expires while a shield runs starts again when the last shield ends (SPEC §2).
    const graceFrom = cancel === undefined ? Infinity : Math.max(cancel.at, r.bodyStart?.at ?? cancel.at);
    const shieldSpans = r.shields
      .map((s) => s.inner)
      .filter((x): x is ScopeRecord => x !== undefined && x.starts.length > 0)
      .map((x) => ({ start: x.starts[0]!.at, end: x.ends[0]?.at ?? Infinity }));
    const expiry = graceFrom + r.graceMs;
    const shieldAtExpiry = shieldSpans.some((span) => span.start <= expiry && span.end >= expiry);
    const lastShieldEnd = Math.max(-Infinity, ...shieldSpans.map((span) => span.end));
    const graceEnd = shieldAtExpiry ? Math.max(expiry, lastShieldEnd + r.graceMs) : expiry;
    const own = Math.min(body?.at ?? Infinity, graceEnd);
    const held = Math.max(-Infinity, ...kids.map((k) => k.ends[0]?.at ?? -Infinity));
    const bound = Math.max(own, held);
    if (end.at > bound) {
      v(`${label}: ended at ${end.at}, later than ${bound} (cancel ${cancel?.at}, grace ${r.graceMs}, body ${body?.at}, children/shields ${held})`);
    }
  }

  #checkShield(shield: ShieldRecord, v: (message: string) => void): void {
    const outer = shield.outer;
    const label = `${outer.label}:shield`;
    if (shield.refused !== undefined) {
      if (!(shield.refused instanceof TypeError)) v(`${label}: refused with something else than a TypeError`);
      if (outer.abandoned.length === 0) v(`${label}: refused while its scope was not ending`);
      return;
    }
    const inner = shield.inner;
    if (inner === undefined) {
      v(`${label}: the body never ran`);
      return;
    }
    const error = inner.scope.cancelError;
    // Shields complete: only their own timeout may stop them.
    if (error !== undefined && !(error instanceof TimeoutCancelation)) v(`${inner.label}: shield cancelled by ${String(error)}`);
    if (error === undefined && !shield.bodyCompleted) v(`${inner.label}: shield body did not complete`);
    const abandoned = inner.abandoned.length > 0; // its own timeout fired and the body ignored it past the grace
    if (shield.bodyCompleted && !abandoned && inner.scope.status !== 'completed') v(`${inner.label}: body completed but ${inner.scope.status}`);
    const settled = shield.settled;
    if (settled === undefined) {
      v(`${label}: shield() never settled`);
      return;
    }
    const innerEnd = inner.ends[0];
    const outerCancel = outer.cancels[0];
    if (shield.bodyCompleted && inner.scope.status === 'completed') {
      const cancelledFirst = outerCancel !== undefined && innerEnd !== undefined && outerCancel.seq < innerEnd.seq;
      if (settled.ok && cancelledFirst) v(`${label}: resolved although its scope was cancelled during it`);
      if (!settled.ok && settled.value !== outer.scope.cancelError) v(`${label}: rejected with ${String(settled.value)}, not the outer error`);
    } else if (settled.ok) v(`${label}: resolved although its body failed`);
  }
}
