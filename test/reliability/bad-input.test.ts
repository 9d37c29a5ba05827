/**
 * Bad input, generated: every public function, constructor, method and option is fed wrong types
 * and out-of-range values (fast-check `anything()` plus edge values), and must throw a TypeError or
 * RangeError whose message names the parameter — at the call (or, for the few documented async
 * APIs, as a rejection) — never crash, hang or accept it silently. Each call is bounded in time.
 *
 * Seeded: CANCELABLE_FC_SEED; CANCELABLE_FC_INPUTS=<n> values per parameter (default 40;
 * `CANCELABLE_SOAK=full` runs 1,000).
 */
import { constants } from 'node:os';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortSignalSource,
  AllOfSource,
  AnyOfSource,
  Cancelable,
  CancelableAsyncIterator,
  CancelationError,
  CancelationSource,
  CancelationToken,
  ConditionSource,
  DeadlineSource,
  OperationRegistry,
  SignalSource,
  TimeoutSource,
  TokenSource,
  cancelable,
  cancelableCombine,
  cancelableStream,
  cancelableWithCondition,
  cancelableWithSignal,
  cancelableWithToken,
  chunkedCancelableStream,
  isCancelation,
  isCancelationError,
  setDefaultClock,
  getDefaultClock,
  setLogger,
  subscribeDiagnostics,
  withCancelable,
  withTimeout,
} from '../../src/index.js';
import {
  CancelationScenario,
  ManualClock,
  MockCancelationToken,
  OperationRecorder,
  SeededRandom,
  assertCancelationWithin,
  createSlowStream,
  installClock,
  simulateStream,
} from '../../src/testing/index.js';
import { SharedCancelationToken, workerMain } from '../../src/threads/index.js';
import { ControlClient, defaultSocketPath, parseNamePattern, ResourceConditionSource, serveRegistry } from '../../src/processes/index.js';
import { inScope } from '../harness/in-scope.js';
import { fromParentProcess } from '../../src/processes/index.js';

const SEED = Number(process.env.CANCELABLE_FC_SEED ?? 20_240_611);
const INPUTS = Number(process.env.CANCELABLE_FC_INPUTS ?? (process.env.CANCELABLE_SOAK === 'full' ? 1_000 : 40));

// ------------------------------------------------------------------------------ values

/** Values that break careless checks: proxies that throw, revoked proxies, throwing getters. */
function hostileValues(): unknown[] {
  const boom = (): never => {
    throw new Error('hostile trap');
  };
  const throwing = new Proxy(
    {},
    { get: boom, has: boom, ownKeys: boom, getPrototypeOf: boom, getOwnPropertyDescriptor: boom },
  );
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return [
    throwing,
    revocable.proxy,
    {
      get then() {
        return boom();
      },
    },
    {
      get constructor() {
        return boom();
      },
    },
    { [Symbol.toPrimitive]: boom, toString: boom, valueOf: boom },
  ];
}

const HOSTILE = hostileValues();
const HOSTILE_NAMES = ['throwing proxy', 'revoked proxy', 'throwing then', 'throwing constructor', 'throwing toPrimitive'];

const edgeValues: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  2 ** 53,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  10n,
  '',
  ' ',
  '10',
  'SIGint',
  'SIGKILL',
  Symbol('x'),
  () => undefined,
  async () => undefined,
  class Something {},
  [],
  [1, 'a'],
  new Array(3), // holes: a forEach() check would skip them
  [undefined],
  {},
  Object.create(null),
  new Date(Number.NaN),
  new Date(0),
  new Error('an error'),
  /regex/g,
  new Map(),
  new Set(),
  new ArrayBuffer(8),
  new SharedArrayBuffer(8),
  new Uint8Array(4),
  new AbortController(),
  new URL('https://example.com/x'),
  new URL('file:///nonexistent/worker.js'),
  Object(5),
  Object('SIGINT'),
  Promise.resolve(1),
  globalThis,
];

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...edgeValues), weight: 2 },
  {
    arbitrary: fc.anything({
      maxDepth: 2,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withTypedArray: true,
      withSparseArray: true,
    }),
    weight: 3,
  },
  fc.double(),
  fc.integer({ min: -1_000, max: 2 ** 40 }),
  fc.string({ maxLength: 12 }),
);

// ------------------------------------------------------------------------------ validity

/** Validity predicates never throw (a hostile value is simply "not valid"). */
function safe(test: (v: unknown) => boolean): (v: unknown) => boolean {
  return (v) => {
    try {
      return test(v);
    } catch {
      return false;
    }
  };
}
const isNumber = (v: unknown): v is number => typeof v === 'number';
const duration = safe((v) => isNumber(v) && Number.isFinite(v) && v >= 0);
const durationInf = safe((v) => isNumber(v) && !Number.isNaN(v) && v >= 0);
const interval = safe((v) => isNumber(v) && Number.isFinite(v) && v > 0);
// Any positive interval: beyond 2³¹−1 ms it is stepped, never clamped (SPEC: any valid value works).
const pollInterval = interval;
const integer = (min: number) => safe((v) => isNumber(v) && Number.isInteger(v) && v >= min);
const fn = safe((v) => typeof v === 'function');
const str = safe((v) => typeof v === 'string');
const object = safe((v) => typeof v === 'object' && v !== null);
const optionsObject = safe((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
const optional = (test: (v: unknown) => boolean) => safe((v) => v === undefined || test(v));
const epoch = safe((v) => (v instanceof Date ? !Number.isNaN(v.getTime()) : isNumber(v) && Number.isFinite(v)));
const CATCHABLE = new Set(['SIGKILL', 'SIGSTOP', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGILL']);
const signalName = safe((v) => typeof v === 'string' && Object.hasOwn(constants.signals, v) && !CATCHABLE.has(v));
const reasons = new Set(['timeout', 'manual', 'signal', 'condition', 'parent']);
const cancelArgument = safe((v) => {
  if (v === undefined || typeof v === 'string') return true;
  if (v === null || typeof v !== 'object') return false;
  const { reason, message } = v as { reason?: unknown; message?: unknown };
  return (reason === undefined || reasons.has(reason as string)) && (message === undefined || typeof message === 'string');
});
const percent = safe((v) => isNumber(v) && v > 0 && v <= 100);
const statusValue = safe((v) => {
  const list = Array.isArray(v) ? v : [v];
  return Array.from(list).every((s) => ['pending', 'running', 'completed', 'cancelled', 'failed'].includes(s as string));
});
const never = (): boolean => false;
const combineItem = safe((v) => v instanceof Cancelable || v instanceof CancelationSource || v instanceof CancelationToken || v instanceof AbortSignal);
const CHANNELS = ['start', 'progress', 'cancel', 'end', 'callbackError', 'sourceError', 'abandoned'];

// ------------------------------------------------------------------------------ the table

interface Case {
  /** The call, for the report. */
  readonly api: string;
  /** What the error message must name. */
  readonly param: string;
  /** Which values are acceptable (they are not generated). */
  readonly valid: (v: unknown) => boolean;
  readonly call: (v: unknown) => unknown;
  /** The API is async by contract: a rejection counts as well as a throw. */
  readonly async?: boolean;
  /** Values to try on top of the generated ones. */
  readonly extra?: readonly unknown[];
}

let running: Cancelable;
let finishRunning: () => void = () => undefined;
let runningDone: Promise<unknown> = Promise.resolve();
const noop = (): void => undefined;
const body = (): undefined => undefined;
class Custom extends CancelationSource {
  start(): void {}
  stop(): void {}
}
const fakeClockWithoutNow = { setTimeout: () => 1, clearTimeout: noop };

const cases: Case[] = [
  // -- scopes: construction and options
  { api: 'new Cancelable(options)', param: 'options', valid: optional(optionsObject), call: (v) => new Cancelable(v as never) },
  { api: 'options.name', param: 'options.name', valid: optional(str), call: (v) => new Cancelable({ name: v as never }) },
  { api: 'options.id', param: 'options.id', valid: safe((v) => v === undefined || (str(v) && v !== '')), call: (v) => new Cancelable({ id: v as never }) },
  {
    api: 'options.parent',
    param: 'options.parent',
    valid: safe((v) => v === undefined || v === null || v instanceof Cancelable),
    call: (v) => new Cancelable({ parent: v as never }),
  },
  {
    api: 'options.sources',
    param: 'options.sources',
    valid: safe((v) => v === undefined || (Array.isArray(v) && Array.from(v).every((s) => s instanceof CancelationSource))),
    call: (v) => new Cancelable({ sources: v as never }),
  },
  { api: 'options.metadata', param: 'options.metadata', valid: optional(object), call: (v) => new Cancelable({ metadata: v as never }) },
  {
    api: 'options.register',
    param: 'options.register',
    valid: safe((v) => v === undefined || typeof v === 'boolean' || v instanceof OperationRegistry),
    call: (v) => new Cancelable({ register: v as never }),
  },
  { api: 'options.graceMs', param: 'options.graceMs', valid: optional(durationInf), call: (v) => new Cancelable({ graceMs: v as never }) },
  {
    api: 'options.clock',
    param: 'options.clock',
    valid: safe((v) => v === undefined || v instanceof ManualClock),
    call: (v) => new Cancelable({ clock: v as never }),
    extra: [fakeClockWithoutNow, { setTimeout: noop }],
  },
  { api: 'options.logger', param: 'options.logger', valid: optional(object), call: (v) => new Cancelable({ logger: v as never }) },
  // -- factories
  { api: 'Cancelable.withTimeout(ms)', param: 'ms', valid: duration, call: (v) => Cancelable.withTimeout(v as never) },
  { api: 'Cancelable.withTimeout(ms, options)', param: 'options', valid: optional(optionsObject), call: (v) => Cancelable.withTimeout(1, v as never) },
  { api: 'Cancelable.withDeadline(deadline)', param: 'deadline', valid: epoch, call: (v) => Cancelable.withDeadline(v as never) },
  { api: 'Cancelable.withToken(token)', param: 'token', valid: safe((v) => v instanceof CancelationToken), call: (v) => Cancelable.withToken(v as never) },
  {
    api: 'Cancelable.withSignal(signal)',
    param: 'signals[0]',
    valid: safe((v) => signalName(v) || (optionsObject(v) && !Array.isArray(v))),
    call: (v) => Cancelable.withSignal(v as never),
  },
  {
    api: 'Cancelable.withSignal(SIGINT, signal)',
    param: 'signals[1]',
    valid: safe((v) => signalName(v) || optionsObject(v)),
    call: (v) => Cancelable.withSignal('SIGINT', v as never),
  },
  { api: 'Cancelable.withCondition(predicate)', param: 'predicate', valid: fn, call: (v) => Cancelable.withCondition(v as never) },
  {
    api: 'Cancelable.withCondition(predicate, intervalMs)',
    param: 'intervalMs',
    valid: optional(pollInterval),
    call: (v) => Cancelable.withCondition(() => false, v as never),
  },
  {
    api: 'Cancelable.withCondition(predicate, 100, options)',
    param: 'options',
    valid: optional(optionsObject),
    call: (v) => Cancelable.withCondition(() => false, 100, v as never),
  },
  { api: 'Cancelable.withAbortSignal(signal)', param: 'signal', valid: safe((v) => v instanceof AbortSignal), call: (v) => Cancelable.withAbortSignal(v as never) },
  { api: 'Cancelable.combine(items)', param: 'items', valid: safe((v) => Array.isArray(v) && Array.from(v).every(combineItem)), call: (v) => Cancelable.combine(v as never) },
  {
    api: 'Cancelable.combine([item])',
    param: 'items[0]',
    valid: combineItem,
    call: (v) => Cancelable.combine([v as never]),
  },
  { api: 'Cancelable.combine([], options)', param: 'options', valid: optional(optionsObject), call: (v) => Cancelable.combine([], v as never) },
  {
    api: 'scope.combine(item)',
    param: 'items[1]',
    valid: combineItem,
    call: (v) => new Cancelable().combine(v as never),
  },
  // -- scope methods
  { api: 'scope.addSource(source)', param: 'source', valid: safe((v) => v instanceof CancelationSource), call: (v) => new Cancelable().addSource(v as never) },
  { api: 'scope.onStart(callback)', param: 'callback', valid: fn, call: (v) => new Cancelable().onStart(v as never) },
  { api: 'scope.onComplete(callback)', param: 'callback', valid: fn, call: (v) => new Cancelable().onComplete(v as never) },
  { api: 'scope.onCancel(callback)', param: 'callback', valid: fn, call: (v) => new Cancelable().onCancel(v as never) },
  { api: 'scope.onError(callback)', param: 'callback', valid: fn, call: (v) => new Cancelable().onError(v as never) },
  { api: 'scope.onProgress(callback)', param: 'callback', valid: fn, call: (v) => new Cancelable().onProgress(v as never) },
  { api: 'scope.run(body)', param: 'body', valid: fn, call: (v) => new Cancelable().run(v as never) },
  { api: 'scope.cancel(message)', param: 'message', valid: cancelArgument, call: (v) => new Cancelable().cancel(v as never) },
  { api: 'scope.sleep(ms)', param: 'ms', valid: duration, call: (v) => running.sleep(v as never) },
  { api: 'scope.wrap(fn)', param: 'fn', valid: fn, call: (v) => running.wrap(v as never) },
  { api: 'scope.shield(body)', param: 'body', valid: fn, call: (v) => running.shield(v as never) },
  { api: 'scope.shield(body, options)', param: 'options', valid: optional(optionsObject), call: (v) => running.shield(body, v as never) },
  { api: 'scope.shield(body, { timeout })', param: 'options.timeout', valid: optional(duration), call: (v) => running.shield(body, { timeout: v as never }) },
  { api: 'scope.shield(body, { name })', param: 'options.name', valid: optional(str), call: (v) => running.shield(body, { name: v as never }) },
  { api: 'scope.reportProgress(message)', param: 'message', valid: str, call: (v) => running.reportProgress(v as never) },
  { api: 'scope.reportProgress(message, metadata)', param: 'metadata', valid: optional(object), call: (v) => running.reportProgress('m', v as never) },
  // -- tokens
  { api: 'token.cancelSync(message)', param: 'message', valid: cancelArgument, call: (v) => new CancelationToken().cancelSync(v as never) },
  { api: 'token.cancel(message)', param: 'message', valid: cancelArgument, call: (v) => new CancelationToken().cancel(v as never), async: true },
  { api: 'token.onCancel(callback)', param: 'callback', valid: fn, call: (v) => new CancelationToken().onCancel(v as never) },
  // -- sources
  { api: 'new TimeoutSource(timeoutMs)', param: 'timeoutMs', valid: duration, call: (v) => new TimeoutSource(v as never) },
  { api: 'new TimeoutSource(1, options)', param: 'options', valid: optional(optionsObject), call: (v) => new TimeoutSource(1, v as never) },
  { api: 'new DeadlineSource(deadline)', param: 'deadline', valid: epoch, call: (v) => new DeadlineSource(v as never) },
  { api: 'new TokenSource(token)', param: 'token', valid: safe((v) => v instanceof CancelationToken), call: (v) => new TokenSource(v as never) },
  { api: 'new AbortSignalSource(signal)', param: 'signal', valid: safe((v) => v instanceof AbortSignal), call: (v) => new AbortSignalSource(v as never) },
  {
    api: 'new SignalSource(signal)',
    param: 'signals[0]',
    valid: safe((v) => signalName(v) || optionsObject(v)),
    call: (v) => new SignalSource(v as never),
  },
  {
    api: 'new SignalSource(SIGINT, { exitOnSecondSignal })',
    param: 'options.exitOnSecondSignal',
    valid: safe((v) => v === undefined || typeof v === 'boolean'),
    call: (v) => new SignalSource('SIGINT', { exitOnSecondSignal: v as never }),
  },
  { api: 'new ConditionSource(predicate)', param: 'predicate', valid: fn, call: (v) => new ConditionSource(v as never) },
  { api: 'new ConditionSource(predicate, intervalMs)', param: 'intervalMs', valid: optional(pollInterval), call: (v) => new ConditionSource(() => false, v as never) },
  { api: 'new ConditionSource(predicate, 100, options)', param: 'options', valid: optional(optionsObject), call: (v) => new ConditionSource(() => false, 100, v as never) },
  { api: 'new ResourceConditionSource(options)', param: 'options', valid: never, call: (v) => new ResourceConditionSource(v as never) },
  {
    api: 'ResourceConditionSource memoryPercent',
    param: 'options.memoryPercent',
    valid: optional(percent),
    call: (v) => new ResourceConditionSource({ memoryPercent: v as never, cpuPercent: 50 }),
  },
  {
    api: 'ResourceConditionSource intervalMs',
    param: 'options.intervalMs',
    valid: optional(pollInterval),
    call: (v) => new ResourceConditionSource({ memoryPercent: 50, intervalMs: v as never }),
  },
  { api: 'new AnyOfSource(sources)', param: 'sources', valid: never, call: (v) => new AnyOfSource(v as never) },
  {
    api: 'new AllOfSource([item])',
    param: 'sources[0]',
    valid: safe((v) => v instanceof CancelationSource || v instanceof CancelationToken || v instanceof AbortSignal),
    call: (v) => new AllOfSource([v as never]),
  },
  { api: 'custom source options.reason', param: 'options.reason', valid: safe((v) => v === undefined || reasons.has(v as string)), call: (v) => new Custom({ reason: v as never }) },
  { api: 'custom source options.name', param: 'options.name', valid: optional(str), call: (v) => new Custom({ name: v as never }) },
  // -- streams
  {
    api: 'cancelableStream(source, scope)',
    param: 'source',
    valid: safe((v) => typeof v === 'string' || (object(v) && (Symbol.asyncIterator in (v as object) || Symbol.iterator in (v as object)))),
    call: (v) => cancelableStream(v as never, running),
  },
  { api: 'cancelableStream([], scope)', param: 'scope', valid: safe((v) => v instanceof Cancelable), call: (v) => cancelableStream([], v as never) },
  { api: 'scope.stream([], options)', param: 'options', valid: optional(optionsObject), call: (v) => running.stream([], v as never) },
  { api: 'stream options.bufferSize', param: 'options.bufferSize', valid: optional(integer(0)), call: (v) => running.stream([], { bufferSize: v as never }) },
  { api: 'stream options.reportInterval', param: 'options.reportInterval', valid: optional(integer(1)), call: (v) => running.stream([], { reportInterval: v as never }) },
  { api: 'stream options.onProgress', param: 'options.onProgress', valid: optional(fn), call: (v) => running.stream([], { onProgress: v as never }) },
  {
    api: 'stream options.bufferPartial',
    param: 'options.bufferPartial',
    valid: safe((v) => v === undefined || typeof v === 'boolean'),
    call: (v) => running.stream([], { bufferPartial: v as never }),
  },
  {
    api: 'new CancelableAsyncIterator(source, scope)',
    param: 'source',
    valid: safe((v) => typeof v === 'string' || (object(v) && (Symbol.asyncIterator in (v as object) || Symbol.iterator in (v as object)))),
    call: (v) => new CancelableAsyncIterator(v as never, running),
  },
  { api: 'chunkedCancelableStream(options)', param: 'options', valid: never, call: (v) => chunkedCancelableStream([], running, v as never) },
  { api: 'chunked options.chunkSize', param: 'options.chunkSize', valid: integer(1), call: (v) => chunkedCancelableStream([], running, { chunkSize: v as never }) },
  {
    api: 'chunked options.maxWaitMs',
    param: 'options.maxWaitMs',
    valid: optional(interval),
    call: (v) => chunkedCancelableStream([], running, { chunkSize: 2, maxWaitMs: v as never }),
  },
  // -- wrappers
  { api: 'cancelable(options, fn)', param: 'options', valid: optional(optionsObject), call: (v) => cancelable(v as never, async () => 1) },
  { api: 'cancelable({ timeout })', param: 'options.timeout', valid: optional(duration), call: (v) => cancelable({ timeout: v as never }, async () => 1) },
  { api: 'cancelable({ deadline })', param: 'options.deadline', valid: optional(epoch), call: (v) => cancelable({ deadline: v as never }, async () => 1) },
  {
    api: 'cancelable({ token })',
    param: 'options.token',
    valid: safe((v) => v === undefined || v instanceof CancelationToken),
    call: (v) => cancelable({ token: v as never }, async () => 1),
  },
  {
    api: 'cancelable({ abortSignal })',
    param: 'options.abortSignal',
    valid: safe((v) => v === undefined || v instanceof AbortSignal),
    call: (v) => cancelable({ abortSignal: v as never }, async () => 1),
  },
  { api: 'cancelable({ graceMs })', param: 'options.graceMs', valid: optional(durationInf), call: (v) => cancelable({ graceMs: v as never }, async () => 1) },
  { api: 'cancelable(options)(fn)', param: 'fn', valid: fn, call: (v) => (cancelable({ timeout: 1 }) as (f: unknown) => unknown)(v) },
  { api: 'withTimeout(ms, fn)', param: 'ms', valid: duration, call: (v) => withTimeout(v as never, async () => 1) },
  {
    api: 'withTimeout(ms, promiseOrFn)',
    param: 'promiseOrFn',
    valid: safe((v) => fn(v) || (object(v) && typeof (v as { then?: unknown }).then === 'function')),
    call: (v) => withTimeout(1, v as never),
  },
  { api: 'withTimeout(ms, fn, options)', param: 'options', valid: optional(optionsObject), call: (v) => withTimeout(1, async () => 1, v as never) },
  { api: 'cancelableWithToken(token, fn)', param: 'token', valid: safe((v) => v instanceof CancelationToken), call: (v) => cancelableWithToken(v as never, async () => 1) },
  {
    api: 'cancelableWithSignal(signals, fn)',
    param: 'signals',
    valid: safe((v) => signalName(v) || (Array.isArray(v) && Array.from(v).every(signalName))), // [] means the defaults
    call: (v) => cancelableWithSignal(v as never, async () => 1),
  },
  { api: 'cancelableWithCondition(predicate, ms, fn)', param: 'predicate', valid: fn, call: (v) => cancelableWithCondition(v as never, 100, async () => 1) },
  {
    api: 'cancelableWithCondition(predicate, intervalMs, fn)',
    param: 'intervalMs',
    valid: optional(pollInterval),
    call: (v) => cancelableWithCondition(() => false, v as never, async () => 1),
  },
  {
    api: 'cancelableCombine(items, fn)',
    param: 'items',
    valid: safe((v) => Array.isArray(v) && Array.from(v).every(combineItem)),
    call: (v) => cancelableCombine(v as never, async () => 1),
  },
  { api: 'withCancelable(scope, fn)', param: 'scope', valid: safe((v) => v instanceof Cancelable), call: (v) => withCancelable(v as never, async () => 1) },
  { api: 'withCancelable(scope, fn) fn', param: 'fn', valid: optional(fn), call: (v) => withCancelable(running, v as never) },
  // -- registry
  { api: 'new OperationRegistry(options)', param: 'options', valid: optional(optionsObject), call: (v) => new OperationRegistry(v as never) },
  {
    api: 'new OperationRegistry({ historyLimit })',
    param: 'options.historyLimit',
    valid: optional(integer(0)),
    call: (v) => new OperationRegistry({ historyLimit: v as never }),
  },
  {
    api: 'new OperationRegistry({ autoRegister })',
    param: 'autoRegister',
    valid: safe((v) => v === undefined || typeof v === 'boolean'),
    call: (v) => new OperationRegistry({ autoRegister: v as never }),
  },
  { api: 'registry.autoRegister = x', param: 'autoRegister', valid: safe((v) => typeof v === 'boolean'), call: (v) => void (new OperationRegistry().autoRegister = v as never) },
  { api: 'registry.historyLimit = x', param: 'historyLimit', valid: integer(0), call: (v) => void (new OperationRegistry().historyLimit = v as never) },
  { api: 'registry.get(id)', param: 'id', valid: str, call: (v) => new OperationRegistry().get(v as never) },
  { api: 'registry.cancel(id)', param: 'id', valid: str, call: (v) => new OperationRegistry().cancel(v as never) },
  { api: 'registry.cancel(id, message)', param: 'message', valid: cancelArgument, call: (v) => new OperationRegistry().cancel('x', v as never) },
  { api: 'registry.list(filter)', param: 'filter', valid: optional(optionsObject), call: (v) => new OperationRegistry().list(v as never) },
  { api: 'registry.list({ status })', param: 'filter.status', valid: optional(statusValue), call: (v) => new OperationRegistry().list({ status: v as never }) },
  {
    api: 'registry.list({ name })',
    param: 'filter.name',
    valid: safe((v) => v === undefined || typeof v === 'string' || v instanceof RegExp),
    call: (v) => new OperationRegistry().list({ name: v as never }),
  },
  {
    api: 'registry.list({ parentId })',
    param: 'filter.parentId',
    valid: safe((v) => v === undefined || v === null || typeof v === 'string'),
    call: (v) => new OperationRegistry().list({ parentId: v as never }),
  },
  { api: 'registry.cancelAll(filter)', param: 'filter', valid: optional(optionsObject), call: (v) => new OperationRegistry().cancelAll(v as never) },
  { api: 'registry.cancelAll(filter, message)', param: 'message', valid: cancelArgument, call: (v) => new OperationRegistry().cancelAll(undefined, v as never) },
  { api: 'registry.history(options)', param: 'options', valid: optional(optionsObject), call: (v) => new OperationRegistry().history(v as never) },
  { api: 'registry.history({ limit })', param: 'options.limit', valid: optional(integer(0)), call: (v) => new OperationRegistry().history({ limit: v as never }) },
  { api: 'registry.history({ since })', param: 'options.since', valid: optional(epoch), call: (v) => new OperationRegistry().history({ since: v as never }) },
  { api: 'registry.cleanup(options)', param: 'options', valid: optional(optionsObject), call: (v) => new OperationRegistry().cleanup(v as never) },
  { api: 'registry.cleanup({ before })', param: 'options.before', valid: optional(epoch), call: (v) => new OperationRegistry().cleanup({ before: v as never }) },
  { api: 'registry.subscribe(listener)', param: 'listener', valid: fn, call: (v) => new OperationRegistry().subscribe(v as never) },
  { api: 'registry.listen(options)', param: 'options', valid: optional(optionsObject), call: (v) => new OperationRegistry().listen(v as never), async: true },
  // -- clock, logger, diagnostics
  {
    api: 'setDefaultClock(clock)',
    param: 'clock',
    valid: safe((v) => v === undefined || v instanceof ManualClock),
    call: (v) => {
      const previous = getDefaultClock();
      try {
        setDefaultClock(v as never);
      } finally {
        setDefaultClock(previous);
      }
    },
    extra: [fakeClockWithoutNow],
  },
  {
    api: 'setLogger(logger)',
    param: 'logger',
    valid: optional(object),
    call: (v) => {
      const previous = setLogger(v as never);
      setLogger(previous);
    },
  },
  {
    api: 'subscribeDiagnostics(handlers)',
    param: 'handlers',
    valid: safe((v) => object(v) && Object.entries(v as object).every(([k, h]) => CHANNELS.includes(k) && (h === undefined || fn(h)))),
    call: (v) => subscribeDiagnostics(v as never)(),
  },
  { api: 'subscribeDiagnostics({ start })', param: 'handlers.start', valid: optional(fn), call: (v) => subscribeDiagnostics({ start: v as never })() },
  // -- errors
  {
    api: 'new CancelationError(reason)',
    param: 'reason',
    valid: safe((v) => reasons.has(v as string)),
    call: (v) => new CancelationError(v as never),
  },
  // -- testing toolkit
  { api: 'new ManualClock(options)', param: 'options', valid: optional(optionsObject), call: (v) => new ManualClock(v as never) },
  { api: 'new ManualClock({ now })', param: 'options.now', valid: optional(epoch), call: (v) => new ManualClock({ now: v as never }) },
  { api: 'new ManualClock({ loopLimit })', param: 'options.loopLimit', valid: optional(integer(1)), call: (v) => new ManualClock({ loopLimit: v as never }) },
  { api: 'clock.advance(ms)', param: 'ms', valid: duration, call: (v) => new ManualClock().advance(v as never), async: true },
  { api: 'clock.advanceSync(ms)', param: 'ms', valid: duration, call: (v) => new ManualClock().advanceSync(v as never) },
  { api: 'clock.setTime(epochMs)', param: 'epochMs', valid: epoch, call: (v) => new ManualClock().setTime(v as never) },
  { api: 'clock.setTimeout(callback)', param: 'callback', valid: fn, call: (v) => new ManualClock().setTimeout(v as never, 1, undefined) },
  {
    api: 'installClock(clock)',
    param: 'clock',
    valid: safe((v) => v === undefined || v instanceof ManualClock),
    call: (v) => installClock(v as never).uninstall(),
    extra: [fakeClockWithoutNow],
  },
  { api: 'new MockCancelationToken(options)', param: 'options', valid: optional(optionsObject), call: (v) => new MockCancelationToken(v as never) },
  { api: 'mockToken.scheduleCancel(delayMs)', param: 'delayMs', valid: duration, call: (v) => new MockCancelationToken().scheduleCancel(v as never) },
  { api: 'new OperationRecorder().attach(scope)', param: 'scope', valid: safe((v) => v instanceof Cancelable), call: (v) => new OperationRecorder().attach(v as never) },
  { api: 'createSlowStream(items, delayMs)', param: 'items', valid: safe((v) => typeof v === 'string' || (object(v) && Symbol.iterator in (v as object))), call: (v) => createSlowStream(v as never, 1) },
  { api: 'createSlowStream([], delayMs)', param: 'delayMs', valid: optional(duration), call: (v) => createSlowStream([], v as never) },
  { api: 'simulateStream(text)', param: 'text', valid: str, call: (v) => simulateStream(v as never) },
  { api: 'simulateStream(text, config)', param: 'config', valid: optional(optionsObject), call: (v) => simulateStream('x', v as never) },
  { api: 'simulateStream config.baseDelayMs', param: 'config.baseDelayMs', valid: optional(duration), call: (v) => simulateStream('x', { baseDelayMs: v as never }) },
  { api: 'assertCancelationWithin(minMs)', param: 'minMs', valid: duration, call: (v) => assertCancelationWithin(v as never, 10, async () => 1), async: true },
  { api: 'new CancelationScenario(name)', param: 'name', valid: optional(str), call: (v) => new CancelationScenario(v as never) },
  { api: 'scenario.addDelay(ms)', param: 'ms', valid: duration, call: (v) => new CancelationScenario().addDelay(v as never) },
  {
    api: 'new SeededRandom(seed)',
    param: 'seed',
    valid: safe((v) => v === undefined || typeof v === 'string' || (Number.isSafeInteger(v))),
    call: (v) => new SeededRandom(v as never),
  },
  // -- threads
  { api: 'SharedCancelationToken.from(buffer)', param: 'buffer', valid: never, call: (v) => SharedCancelationToken.from(v as never) },
  { api: 'new SharedCancelationToken(buffer)', param: 'buffer', valid: safe((v) => v === undefined), call: (v) => new SharedCancelationToken(v as never) },
  {
    api: 'inScope(scope).runInWorker(file)',
    param: 'file',
    valid: safe((v) => (typeof v === 'string' && v !== '') || (v instanceof URL && v.protocol === 'file:')),
    call: (v) => inScope(running).runInWorker(v as never),
  },
  {
    api: 'inScope(scope).runInWorker(file, { graceMs })',
    param: 'options.graceMs',
    valid: optional(durationInf),
    call: (v) => inScope(running).runInWorker('./nonexistent-worker.js', { graceMs: v as never }),
  },
  // -- processes
  { api: 'inScope(scope).spawn(command)', param: 'command', valid: safe((v) => typeof v === 'string' && v !== ''), call: (v) => inScope(running).spawn(v as never) },
  {
    api: 'inScope(scope).spawn(command, args)',
    param: 'args',
    valid: safe((v) => v === undefined || (Array.isArray(v) && Array.from(v).every((a) => typeof a === 'string'))),
    call: (v) => inScope(running).spawn('true', v as never),
  },
  { api: 'inScope(scope).spawn(command, [], options)', param: 'options', valid: optional(optionsObject), call: (v) => inScope(running).spawn('true', [], v as never) },
  { api: 'spawn options.graceMs', param: 'options.graceMs', valid: optional(durationInf), call: (v) => inScope(running).spawn('true', [], { graceMs: v as never }) },
  {
    api: 'spawn options.killSignal',
    param: 'options.killSignal',
    valid: safe(
      (v) =>
        v === undefined ||
        (typeof v === 'string' && Object.hasOwn(constants.signals, v)) ||
        (v !== 0 && Object.values(constants.signals).includes(v as number)),
    ),
    call: (v) => inScope(running).spawn('true', [], { killSignal: v as never }),
  },
  {
    api: 'spawn options.maxBuffer',
    param: 'options.maxBuffer',
    valid: safe((v) => v === undefined || v === Infinity || (Number.isInteger(v) && (v as number) >= 1)),
    call: (v) => inScope(running).spawn('true', [], { maxBuffer: v as never }),
  },
  {
    api: 'spawn options.processGroup',
    param: 'options.processGroup',
    valid: safe((v) => v === undefined || typeof v === 'boolean'),
    call: (v) => inScope(running).spawn('true', [], { processGroup: v as never }),
  },
  {
    api: 'inScope(scope).fork(module)',
    param: 'module',
    valid: safe((v) => (typeof v === 'string' && v !== '') || (v instanceof URL && v.protocol === 'file:')),
    call: (v) => inScope(running).fork(v as never),
  },
  { api: 'serveRegistry(registry)', param: 'registry', valid: safe((v) => v instanceof OperationRegistry), call: (v) => serveRegistry(v as never), async: true },
  { api: 'parseNamePattern(pattern)', param: 'pattern', valid: str, call: (v) => parseNamePattern(v as never) },
  { api: 'defaultSocketPath(pid)', param: 'pid', valid: optional(safe((v) => integer(1)(v) && (v as number) <= 2 ** 31 - 1)), call: (v) => defaultSocketPath(v as never) },
  { api: 'ControlClient.connect(options)', param: 'options', valid: never, call: (v) => ControlClient.connect(v as never), async: true },
  { api: 'ControlClient.connect({ pid })', param: 'pid', valid: safe((v) => integer(1)(v) && (v as number) <= 2 ** 31 - 1), call: (v) => ControlClient.connect({ pid: v as never }), async: true },
  {
    api: 'fork options.graceMs',
    param: 'options.graceMs',
    valid: optional(durationInf),
    call: (v) => inScope(running).fork('./nonexistent-module.js', [], { graceMs: v as never }),
  },
  {
    api: 'fork args',
    param: 'args',
    valid: safe((v) => v === undefined || (Array.isArray(v) && Array.from(v).every((a) => typeof a === 'string'))),
    call: (v) => inScope(running).fork('./nonexistent-module.js', v as never),
  },
  {
    api: 'spawn options.collect',
    param: 'options.collect',
    valid: safe((v) => v === undefined || typeof v === 'boolean'),
    call: (v) => inScope(running).spawn('true', [], { collect: v as never }),
  },
  {
    api: 'spawn options.encoding',
    param: 'options.encoding',
    valid: safe((v) => v === undefined || (typeof v === 'string' && Buffer.isEncoding(v))),
    call: (v) => inScope(running).spawn('true', [], { encoding: v as never }),
  },
  {
    api: 'runInWorker options.execArgv',
    param: 'options.execArgv',
    valid: safe((v) => v === undefined || (Array.isArray(v) && Array.from(v).every((a) => typeof a === 'string'))),
    call: (v) => inScope(running).runInWorker('./nonexistent-worker.js', { execArgv: v as never }),
  },
  {
    api: 'runInWorker options.argv',
    param: 'options.argv',
    valid: safe((v) => v === undefined || Array.isArray(v)),
    call: (v) => inScope(running).runInWorker('./nonexistent-worker.js', { argv: v as never }),
  },
  {
    api: 'runInWorker options.transferList',
    param: 'options.transferList',
    valid: safe((v) => v === undefined || Array.isArray(v)),
    call: (v) => inScope(running).runInWorker('./nonexistent-worker.js', { transferList: v as never }),
  },
  {
    api: 'runInWorker options.name',
    param: 'options.name',
    valid: optional(str),
    call: (v) => inScope(running).runInWorker('./nonexistent-worker.js', { name: v as never }),
  },
  { api: 'workerMain(fn)', param: 'fn', valid: fn, call: (v) => workerMain(v as never) },
  { api: 'workerMain(fn, options)', param: 'options', valid: optional(optionsObject), call: (v) => workerMain(async () => 1, v as never) },
  { api: 'sharedToken.cancelSync(message)', param: 'message', valid: cancelArgument, call: (v) => new SharedCancelationToken().cancelSync(v as never) },
  { api: 'fromParentProcess(options)', param: 'options', valid: optional(optionsObject), call: (v) => fromParentProcess(v as never) },
  {
    api: 'Cancelable.withCondition(p, 100, { conditionName })',
    param: 'options.conditionName',
    valid: optional(str),
    call: (v) => Cancelable.withCondition(() => false, 100, { conditionName: v as never }),
  },
  { api: 'new AnyOfSource([s], options)', param: 'options', valid: optional(optionsObject), call: (v) => new AnyOfSource([new TimeoutSource(1)], v as never) },
  { api: 'new AnyOfSource([s], { name })', param: 'options.name', valid: optional(str), call: (v) => new AnyOfSource([new TimeoutSource(1)], { name: v as never }) },
  {
    api: 'ResourceConditionSource cpuPercent',
    param: 'options.cpuPercent',
    valid: optional(percent),
    call: (v) => new ResourceConditionSource({ cpuPercent: v as never, memoryPercent: 50 }),
  },
  {
    api: 'ResourceConditionSource diskPercent',
    param: 'options.diskPercent',
    valid: optional(percent),
    call: (v) => new ResourceConditionSource({ diskPercent: v as never, memoryPercent: 50 }),
  },
  {
    api: 'ResourceConditionSource path',
    param: 'options.path',
    valid: safe((v) => v === undefined || (typeof v === 'string' && v !== '')),
    call: (v) => new ResourceConditionSource({ memoryPercent: 50, path: v as never }),
  },
  {
    api: 'ResourceConditionSource samplers',
    param: 'options.samplers',
    valid: safe(
      (v) =>
        v === undefined ||
        (optionsObject(v) &&
          ['memoryPercent', 'cpuTimes', 'diskPercent'].every((k) => optional(fn)((v as Record<string, unknown>)[k]))),
    ),
    call: (v) => new ResourceConditionSource({ memoryPercent: 50, samplers: v as never }),
  },
  { api: 'cancelable({ name })', param: 'options.name', valid: optional(str), call: (v) => cancelable({ name: v as never }, async () => 1) },
  { api: 'cancelable({ id })', param: 'options.id', valid: safe((v) => v === undefined), call: (v) => cancelable({ id: v } as never, async () => 1) },
  { api: 'cancelable({ metadata })', param: 'options.metadata', valid: optional(object), call: (v) => cancelable({ metadata: v as never }, async () => 1) },
  {
    api: 'cancelable({ sources })',
    param: 'options.sources',
    valid: safe((v) => v === undefined || (Array.isArray(v) && Array.from(v).every((s) => s instanceof CancelationSource))),
    call: (v) => cancelable({ sources: v as never }, async () => 1),
  },
  {
    api: 'cancelable({ parent })',
    param: 'options.parent',
    valid: safe((v) => v === undefined || v === null || v instanceof Cancelable),
    call: (v) => cancelable({ parent: v as never }, async () => 1),
  },
  { api: 'cancelable({ clock })', param: 'options.clock', valid: safe((v) => v === undefined || v instanceof ManualClock), call: (v) => cancelable({ clock: v as never }, async () => 1) },
  { api: 'registry.history({ status })', param: 'options.status', valid: optional(statusValue), call: (v) => new OperationRegistry().history({ status: v as never }) },
  { api: 'registry.cleanup({ status })', param: 'options.status', valid: optional(statusValue), call: (v) => new OperationRegistry().cleanup({ status: v as never }) },
  ...CHANNELS.map(
    (key): Case => ({
      api: `subscribeDiagnostics({ ${key} })`,
      param: `handlers.${key}`,
      valid: optional(fn),
      call: (v) => subscribeDiagnostics({ [key]: v })(),
    }),
  ),
  { api: 'new MockCancelationToken({ clock })', param: 'options.clock', valid: safe((v) => v === undefined || v instanceof ManualClock), call: (v) => new MockCancelationToken({ clock: v as never }) },
  { api: 'mockToken.scheduleCancel(1, message)', param: 'message', valid: cancelArgument, call: (v) => new MockCancelationToken().scheduleCancel(1, v as never)() },
  { api: 'recorder.attach(scope, options)', param: 'options', valid: optional(optionsObject), call: (v) => new OperationRecorder().attach(new Cancelable(), v as never) },
  { api: 'recorder.eventsOfType(type)', param: 'type', valid: never, call: (v) => new OperationRecorder().eventsOfType(v as never) },
  { api: 'recorder.eventsFor(operation)', param: 'operation', valid: safe((v) => typeof v === 'string' || v instanceof Cancelable), call: (v) => new OperationRecorder().eventsFor(v as never) },
  { api: 'new CancelationScenario(name, options)', param: 'options', valid: optional(optionsObject), call: (v) => new CancelationScenario('x', v as never) },
  { api: 'scenario.addCancelation(message)', param: 'message', valid: cancelArgument, call: (v) => new CancelationScenario().addCancelation(v as never) },
  { api: 'scenario.addCheck(fn)', param: 'fn', valid: fn, call: (v) => new CancelationScenario().addCheck(v as never) },
  { api: 'scenario.addCheck(fn, description)', param: 'description', valid: optional(str), call: (v) => new CancelationScenario().addCheck(() => 1, v as never) },
  {
    api: 'scenario.addProgressCheck(message)',
    param: 'message',
    valid: safe((v) => typeof v === 'string' || v instanceof RegExp),
    call: (v) => new CancelationScenario().addProgressCheck(v as never),
  },
  { api: 'scenario.addStatusCheck(status)', param: 'status', valid: never, call: (v) => new CancelationScenario().addStatusCheck(v as never) },
  { api: 'scenario.addCancelReasonCheck(reason)', param: 'reason', valid: safe((v) => reasons.has(v as string)), call: (v) => new CancelationScenario().addCancelReasonCheck(v as never) },
  { api: 'assertCancelationWithin(0, maxMs)', param: 'maxMs', valid: durationInf, call: (v) => assertCancelationWithin(0, v as never, async () => 1), async: true },
  {
    api: 'assertCancelationWithin(0, 10, fn)',
    param: 'fn',
    valid: safe((v) => fn(v) || (object(v) && typeof (v as { then?: unknown }).then === 'function')),
    call: (v) => assertCancelationWithin(0, 10, v as never),
    async: true,
  },
  { api: 'createSlowStream([], 1, options)', param: 'options', valid: safe((v) => v === undefined || optionsObject(v)), call: (v) => createSlowStream([], 1, v as never) },
  { api: 'simulateStream config.chunkSize', param: 'config.chunkSize', valid: optional(integer(1)), call: (v) => simulateStream('x', { chunkSize: v as never }) },
  {
    api: 'simulateStream config.stallProbability',
    param: 'config.stallProbability',
    valid: safe((v) => v === undefined || (isNumber(v) && v >= 0 && v <= 1)),
    call: (v) => simulateStream('x', { stallProbability: v as never }),
  },
  { api: 'simulateStream config.scope', param: 'config.scope', valid: safe((v) => v === undefined || v instanceof Cancelable), call: (v) => simulateStream('x', { scope: v as never }) },
  { api: 'seededRandom.chance(p)', param: 'p', valid: safe((v) => isNumber(v) && v >= 0 && v <= 1), call: (v) => new SeededRandom(1).chance(v as never) },
  { api: 'seededRandom.uniform(min, max)', param: 'min', valid: safe((v) => isNumber(v) && Number.isFinite(v) && v <= 1),
    extra: [2], call: (v) => new SeededRandom(1).uniform(v as never, 1) },
  { api: 'seededRandom.int(min, max)', param: 'min', valid: safe((v) => Number.isSafeInteger(v) && (v as number) <= 10), call: (v) => new SeededRandom(1).int(v as never, 10) },
  {
    api: 'seededRandom.weightedIndex(weights)',
    param: 'weights',
    valid: safe((v) => Array.isArray(v) && Array.from(v).every((w) => isNumber(w) && Number.isFinite(w) && w >= 0) && v.some((w) => (w as number) > 0)),
    call: (v) => new SeededRandom(1).weightedIndex(v as never),
  },
];

// ------------------------------------------------------------------------------ the check

type Outcome =
  | { kind: 'threw'; error: unknown }
  | { kind: 'rejected'; error: unknown }
  | { kind: 'returned'; value: unknown }
  | { kind: 'hung' };

const BOUND_MS = 2_000;

/** Calls `call(value)`; a returned promise is awaited at most BOUND_MS (real time). */
async function attempt(call: (v: unknown) => unknown, value: unknown): Promise<Outcome> {
  let result: unknown;
  try {
    result = call(value);
  } catch (error) {
    return { kind: 'threw', error };
  }
  if (result instanceof Promise) {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hung' }), BOUND_MS)));
    const settled = result.then(
      (v: unknown): Outcome => ({ kind: 'returned', value: v }),
      (error: unknown): Outcome => ({ kind: 'rejected', error }),
    );
    const outcome = await Promise.race([settled, hung]);
    clearTimeout(timer);
    return outcome;
  }
  return { kind: 'returned', value: result };
}

function show(value: unknown): string {
  try {
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'function') return `function ${value.name}`;
    return fc.stringify(value);
  } catch {
    return '<unprintable>';
  }
}

/** What is wrong with the outcome of a bad value (undefined: a proper TypeError/RangeError). */
function judge(c: Case, value: unknown, outcome: Outcome): string | undefined {
  if (outcome.kind === 'hung') return `hung (no answer in ${BOUND_MS} ms)`;
  if (outcome.kind === 'returned') return 'accepted silently';
  if (outcome.kind === 'rejected' && c.async !== true) return `rejected instead of throwing at the call: ${String(outcome.error)}`;
  const error = outcome.error;
  if (!(error instanceof TypeError || error instanceof RangeError)) return `threw ${show(error)}, not a TypeError/RangeError`;
  if (!error.message.includes(c.param)) return `the message does not name '${c.param}': ${error.message}`;
  return undefined;
}

/** Inputs tried, for docs/reliability.md. */
let tried = 0;

beforeAll(() => {
  running = new Cancelable({ name: 'bad-input', graceMs: 0 });
  runningDone = running.run(() => new Promise<void>((resolve) => (finishRunning = resolve)));
});
afterAll(async () => {
  finishRunning();
  await runningDone;
  console.log(`[reliability] bad input: ${cases.length} parameters, ${tried} wrong values tried`);
});

describe('every public parameter rejects wrong types and out-of-range values, naming the parameter', () => {
  it.each(cases.map((c) => [c.api, c] as const))('%s', async (_api, c) => {
    const failures: string[] = [];
    const check = async (value: unknown): Promise<void> => {
      if (c.valid(value)) return;
      tried++;
      const problem = judge(c, value, await attempt(c.call, value));
      if (problem !== undefined && failures.length < 5) failures.push(`${show(value)}: ${problem}`);
    };
    for (const value of [...edgeValues, ...(c.extra ?? [])]) await check(value);
    await fc.assert(
      fc.asyncProperty(anyValue, async (value) => {
        await check(value);
      }),
      { seed: SEED, numRuns: INPUTS },
    );
    expect(failures, `${c.api}:\n  ${failures.join('\n  ')}`).toEqual([]);
    expect(running.isRunning).toBe(true);
  });
});

describe('hostile values (throwing proxies, revoked proxies, throwing getters) never crash a check', () => {
  // They may not be describable, but every check must still end in an Error thrown at the call
  // (never a crash, a hang or an accepted value), and the library must stay usable.
  it.each(cases.map((c) => [c.api, c] as const))('%s', async (_api, c) => {
    const failures: string[] = [];
    for (const value of HOSTILE) {
      if (c.valid(value)) continue;
      tried++;
      const outcome = await attempt(c.call, value);
      if (outcome.kind === 'hung' || outcome.kind === 'returned') failures.push(`${describeKind(value)}: ${outcome.kind}`);
      else if (outcome.kind === 'rejected' && c.async !== true) failures.push(`${describeKind(value)}: rejected instead of throwing`);
      else if (!(outcome.error instanceof Error)) failures.push(`${describeKind(value)}: threw a non-Error`);
    }
    expect(failures, `${c.api}:\n  ${failures.join('\n  ')}`).toEqual([]);
  });
});

function describeKind(value: unknown): string {
  return HOSTILE_NAMES[HOSTILE.indexOf(value)] ?? 'hostile value';
}

describe('predicates accept anything', () => {
  it('isCancelation / isCancelationError never throw and answer a boolean', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        tried++;
        expect(typeof isCancelation(value)).toBe('boolean');
        expect(typeof isCancelationError(value)).toBe('boolean');
      }),
      { seed: SEED, numRuns: INPUTS * 10 },
    );
    for (const value of HOSTILE) {
      tried++;
      expect(typeof isCancelation(value), describeKind(value)).toBe('boolean');
      expect(typeof isCancelationError(value), describeKind(value)).toBe('boolean');
    }
    // A cyclic cause chain and an error whose cause getter throws.
    const cyclic = new Error('a') as Error & { cause?: unknown };
    cyclic.cause = cyclic;
    expect(isCancelation(cyclic)).toBe(false);
    const throwingCause = Object.defineProperty(new Error('b'), 'cause', {
      get() {
        throw new Error('cause getter');
      },
    });
    expect(isCancelation(throwingCause)).toBe(false);
  });
});
