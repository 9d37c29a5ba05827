import type { CancelationError } from './errors.js';
import { channel, subscribe, tracingChannel, unsubscribe, type TraceChannel } from './platform.js';
import type { CancelationReason, OperationStatus } from './reasons.js';
import { runtime } from './runtime.js';
import type { CancelScope as Cancelable } from './scope/cancel-scope.js';
import type { CancelationSource } from './source.js';
import { describeValue } from './validate.js';

/**
 * A logger the library may write to. Console-compatible (`logger.warn(message, data)`) and
 * pino-compatible (detected by its `child` and `levels` members: `logger.warn(data, message)`, with an
 * error under `err` so pino's serializer renders it). Missing methods are skipped.
 * The library prints nothing unless one is set, globally ({@link setLogger}) or per scope.
 *
 * What is logged: `debug` when a scope is asked to cancel and when it ends, and when an abandoned
 * body settles late; `warn` when a body is abandoned after its grace period and when a source fails;
 * `error` when a user callback throws.
 */
export interface Logger {
  debug?(...args: unknown[]): void;
  info?(...args: unknown[]): void;
  warn?(...args: unknown[]): void;
  error?(...args: unknown[]): void;
}

/** The level of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Sets (or with `undefined`, clears) the process-wide logger. Returns the previous one. A scope's own
 * `logger` option takes precedence.
 * @example
 * ```ts
 * import pino from 'pino';
 * setLogger(pino({ level: 'debug' }));
 * ```
 */
export function setLogger(logger: Logger | undefined): Logger | undefined {
  if (logger !== undefined && (logger === null || typeof logger !== 'object')) {
    throw new TypeError(`logger must be an object with debug/info/warn/error methods, got ${describeValue(logger)}`);
  }
  const previous = runtime.logger;
  runtime.logger = logger;
  return previous;
}

/** The process-wide logger, if any. */
export function getLogger(): Logger | undefined {
  return runtime.logger;
}

function isPinoLike(logger: Logger): boolean {
  const candidate = logger as { child?: unknown; levels?: unknown };
  return typeof candidate.child === 'function' && typeof candidate.levels === 'object' && candidate.levels !== null;
}

/** Writes one line to `logger` (or the global one). A logger that throws is ignored. */
export function log(logger: Logger | undefined, level: LogLevel, message: string, data?: object): void {
  const target = logger ?? runtime.logger;
  if (target === undefined || target === null || typeof target !== 'object') return;
  if (typeof target[level] !== 'function') return;
  try {
    if (isPinoLike(target)) target[level]?.(pinoData(data), message);
    else if (data === undefined) target[level]?.(message);
    else target[level]?.(message, data);
  } catch {
    // A broken logger must never break cancellation.
  }
}

// pino serialises errors found under `err` (its standard serializer); under any other key an Error
// would come out as `{}`.
function pinoData(data: object | undefined): object {
  if (data === undefined) return {};
  if (!('error' in data)) return data;
  const { error, ...rest } = data;
  return { ...rest, err: error };
}

/** Names of the diagnostics channels the library publishes on. */
export const channelNames = {
  start: 'cancelable:start',
  progress: 'cancelable:progress',
  cancel: 'cancelable:cancel',
  end: 'cancelable:end',
  callbackError: 'cancelable:callback-error',
  sourceError: 'cancelable:source-error',
  abandoned: 'cancelable:abandoned',
} as const;

/** The channels themselves; publish only after checking `hasSubscribers` (free when nobody listens). */
export const channels = {
  start: channel(channelNames.start),
  progress: channel(channelNames.progress),
  cancel: channel(channelNames.cancel),
  end: channel(channelNames.end),
  callbackError: channel(channelNames.callbackError),
  sourceError: channel(channelNames.sourceError),
  abandoned: channel(channelNames.abandoned),
} as const;

/**
 * The `TracingChannel` around every `run()` (`tracing:cancelable.run:start|end|asyncStart|asyncEnd|error`),
 * the convention undici and Fastify follow and APMs consume: a subscriber's `bindStore` on `start`
 * makes its store (a span's context) current for the whole run, the body included. The context object
 * is a {@link RunTraceContext}. Nothing is published, and nothing allocated, while nobody subscribes.
 * @example
 * ```ts
 * import diagnosticsChannel from 'node:diagnostics_channel';
 * const run = diagnosticsChannel.tracingChannel('cancelable.run');
 * run.subscribe({
 *   start: ({ scope }) => console.log('start', scope.name),
 *   asyncEnd: ({ scope, error }) => console.log('end', scope.status, error),
 *   end() {}, asyncStart() {}, error() {},
 * });
 * ```
 */
export const runTracing: TraceChannel<RunTraceContext> = tracingChannel<RunTraceContext>('cancelable.run');

/** The context object of the `tracing:cancelable.run` channels: the scope, then its outcome. */
export interface RunTraceContext {
  readonly scope: Cancelable;
  /** `run()`'s value, once it resolved. */
  result?: unknown;
  /** `run()`'s rejection (the cancellation error or the failure), once it rejected. */
  error?: unknown;
}

/** Payload of `cancelable:start`: a scope started (its sources are active; the body is about to run). */
export interface StartDiagnostic {
  readonly scope: Cancelable;
}

/** Payload of `cancelable:progress`: `scope.reportProgress(message, metadata)` was called. */
export interface ProgressDiagnostic {
  readonly scope: Cancelable;
  readonly message: string;
  readonly metadata: Record<string, unknown> | undefined;
}

/**
 * Payload of `cancelable:cancel`: a cancellation was requested (once per scope, the first one wins).
 * `source` is the source that fired (a timeout, a token, a signal...); `undefined` for
 * `scope.cancel()` and for a cancellation coming from the parent (reason `parent`).
 */
export interface CancelDiagnostic {
  readonly scope: Cancelable;
  readonly reason: CancelationReason;
  readonly message: string;
  readonly source: CancelationSource | undefined;
  readonly error: CancelationError;
}

/**
 * Payload of `cancelable:end`: the scope reached its final status (before `onComplete`/`onCancel`/
 * `onError` callbacks run). `error` is the cancellation error or the failure; `undefined` when completed.
 */
export interface EndDiagnostic {
  readonly scope: Cancelable;
  readonly status: OperationStatus;
  readonly durationMs: number;
  readonly error: unknown;
}

/** Payload of `cancelable:callback-error`: a user callback threw or rejected (it changed nothing). */
export interface CallbackErrorDiagnostic {
  /** `undefined` for callbacks of a token (`token.onCancel`). */
  readonly scope: Cancelable | undefined;
  /** Which callback: `onStart`, `onProgress`, `onComplete`, `onCancel`, `onError`, `token.onCancel`... */
  readonly callback: string;
  readonly error: unknown;
}

/** Payload of `cancelable:source-error`: a source failed to start, to stop, or while checking. */
export interface SourceErrorDiagnostic {
  /** `undefined` for a source started outside a scope. */
  readonly scope: Cancelable | undefined;
  readonly source: { readonly name: string };
  /** `start`, `stop`, or a source-specific phase such as `predicate`. */
  readonly phase: string;
  readonly error: unknown;
}

/**
 * Payload of `cancelable:abandoned`: published with `outcome: 'pending'` when `run()` stops waiting for
 * a body that ignored the cancellation for `graceMs`, and again with `'fulfilled'` or `'rejected'` (and
 * the dropped `value`) if that body settles later.
 */
export interface AbandonedDiagnostic {
  readonly scope: Cancelable;
  readonly outcome: 'pending' | 'fulfilled' | 'rejected';
  /** The late value or error; `undefined` while pending. */
  readonly value: unknown;
  readonly graceMs: number;
}

/** Handlers for {@link subscribeDiagnostics}, one per channel (all optional). */
export interface DiagnosticsHandlers {
  start?(event: StartDiagnostic): void;
  progress?(event: ProgressDiagnostic): void;
  cancel?(event: CancelDiagnostic): void;
  end?(event: EndDiagnostic): void;
  callbackError?(event: CallbackErrorDiagnostic): void;
  sourceError?(event: SourceErrorDiagnostic): void;
  abandoned?(event: AbandonedDiagnostic): void;
}

const handlerKeys = Object.keys(channelNames) as (keyof typeof channelNames)[];

/**
 * Subscribes typed handlers to the library's diagnostics channels; returns a function that
 * unsubscribes them all. Same as `diagnostics_channel.subscribe('cancelable:<name>', fn)` per channel.
 * Handlers run synchronously where the event happens: keep them short, and don't throw (a throwing
 * subscriber surfaces as an uncaught exception, per `diagnostics_channel`).
 * @example
 * ```ts
 * const off = subscribeDiagnostics({
 *   cancel: ({ scope, reason, source }) => metrics.increment('cancel', { name: scope.name, reason }),
 *   end: ({ scope, status, durationMs }) => histogram.record(durationMs, { name: scope.name, status }),
 * });
 * // later
 * off();
 * ```
 */
export function subscribeDiagnostics(handlers: DiagnosticsHandlers): () => void {
  if (handlers === null || typeof handlers !== 'object') {
    throw new TypeError(`handlers must be an object of channel handlers, got ${describeValue(handlers)}`);
  }
  const subscribed: [string, (message: unknown, name: string | symbol) => void][] = [];
  for (const key of Object.keys(handlers)) {
    if (!handlerKeys.includes(key as keyof typeof channelNames)) {
      throw new TypeError(`handlers.${key} is not a diagnostics channel; expected one of ${handlerKeys.join(', ')}`);
    }
    const handler = (handlers as Record<string, unknown>)[key];
    if (handler === undefined) continue;
    if (typeof handler !== 'function') {
      throw new TypeError(`handlers.${key} must be a function, got ${describeValue(handler)}`);
    }
  }
  for (const key of handlerKeys) {
    const handler = (handlers as Record<string, unknown>)[key] as ((event: unknown) => void) | undefined;
    if (handler === undefined) continue;
    const listener = (message: unknown): void => handler.call(handlers, message);
    subscribe(channelNames[key], listener);
    subscribed.push([channelNames[key], listener]);
  }
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    for (const [name, listener] of subscribed) unsubscribe(name, listener);
  };
}

/** Something that can be named in a report: a scope, or nothing. */
export interface Reportable {
  readonly id: string;
  readonly name: string;
  readonly logger?: Logger | undefined;
}

/** Reports an error thrown (or rejected) by a user callback. Never throws. */
export function reportCallbackError(scope: Reportable | undefined, callback: string, error: unknown): void {
  if (channels.callbackError.hasSubscribers) channels.callbackError.publish({ scope, callback, error });
  log(scope?.logger, 'error', `cancelable: ${callback} callback of '${scope?.name ?? '?'}' failed`, {
    operationId: scope?.id,
    callback,
    error,
  });
}

/** Reports a source that failed (in start, stop, or a predicate). Never throws. */
export function reportSourceError(
  scope: Reportable | undefined,
  source: { readonly name: string },
  phase: string,
  error: unknown,
): void {
  if (channels.sourceError.hasSubscribers) channels.sourceError.publish({ scope, source, phase, error });
  log(scope?.logger, 'warn', `cancelable: source '${source.name}' failed in ${phase}`, {
    operationId: scope?.id,
    source: source.name,
    phase,
    error,
  });
}
