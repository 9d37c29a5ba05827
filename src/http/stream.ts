/**
 * Streaming responses: `sse()` and `ndjson()` write an async iterable to a `node:http` /
 * `node:http2` response with backpressure, stop when the scope ends or the client leaves, close the
 * source, and tell a client that is still there why the stream stopped (SPEC §10).
 */
import { Cancelable } from '../cancelable.js';
import {
  CancelationSource,
  checkKnownKeys,
  describeValue,
  isCancelation,
  isCancelationError,
  onCancellation,
  type CancelScope,
  type TriggerArgument,
} from '../core/index.js';
import type { StreamSource } from '../streams/cancelable-stream.js';
import { rootCancelation } from './status.js';
import { isNodeResponse, type NodeResponse } from './types.js';

/** One server-sent event. */
export interface SseEvent {
  /** The event type (`event:`); default: none (a `message`). */
  event?: string;
  /** The payload: a string is sent as is (split on newlines), anything else as JSON. */
  data: unknown;
  /** The event id (`id:`). */
  id?: string;
  /** The client's reconnection delay, ms (`retry:`). */
  retry?: number;
}

/** Options of {@link sse} and {@link ndjson}. */
export interface StreamResponseOptions<T> {
  /** The scope the stream belongs to. Default: `Cancelable.current()` (the request scope). */
  scope?: CancelScope;
  /** For `sse`: turns an item into an event (default: the item is the `data`). For `ndjson`: into the value written (default: the item). */
  map?: (item: T) => unknown;
  /** Send the final notice when the stream is cancelled and the client is still there. Default true. */
  finalEvent?: boolean;
  /** Extra response headers (sent when the headers have not been sent yet). */
  headers?: Record<string, string>;
}

/** How a streaming response ended. */
export interface StreamResponseResult {
  /** Items written. */
  readonly count: number;
}

const optionKeys: ReadonlySet<string> = new Set(['scope', 'map', 'finalEvent', 'headers']);

/**
 * Streams `source` (an async iterable, iterable, web `ReadableStream` or Node `Readable`) to `res` as
 * server-sent events, one event per item, waiting for `'drain'` whenever the client reads slower than
 * the source produces (memory stays flat). It stops when the scope (`options.scope`, else
 * `Cancelable.current()`) is cancelled or the client leaves: the source is closed (`return()`), and,
 * when the client is still there (a timeout, a shutdown), a final `event: cancelled` is sent with
 * `{ reason, message }` before the response ends. Resolves when the source is exhausted; rejects with
 * the cancellation error when it was stopped, or with the source's error (the response is then ended).
 * @example
 * ```ts
 * http.createServer((req, res) => handleRequest(req, res, () => sse(res, llm.streamTokens(prompt)), { timeout: 60_000 }));
 * ```
 */
export function sse<T>(res: NodeResponse, source: StreamSource<T>, options?: StreamResponseOptions<T>): Promise<StreamResponseResult> {
  return streamResponse('sse', res, source, options);
}

/**
 * Streams `source` to `res` as newline-delimited JSON (`application/x-ndjson`), one line per item,
 * with the backpressure, stopping and closing rules of {@link sse}; the final notice is the line
 * `{"event":"cancelled","reason":...,"message":...}`.
 * @example
 * ```ts
 * handleRequest(req, res, () => ndjson(res, db.streamRows('SELECT * FROM orders')));
 * ```
 */
export function ndjson<T>(res: NodeResponse, source: StreamSource<T>, options?: StreamResponseOptions<T>): Promise<StreamResponseResult> {
  return streamResponse('ndjson', res, source, options);
}

/** Cancels the stream's scope when the response closes before it ended (the client left). */
class ResponseCloseSource extends CancelationSource {
  #off: (() => void) | undefined;
  constructor(readonly res: NodeResponse) {
    super({ reason: 'disconnect', name: 'http-response' });
  }
  start(trigger: (argument?: TriggerArgument) => void): void {
    const res = this.res;
    if (res.destroyed && !res.writableEnded) {
      trigger('The client disconnected');
      return;
    }
    const onClose = (): void => {
      if (!res.writableEnded) trigger('The client disconnected');
    };
    res.once('close', onClose);
    this.#off = () => res.removeListener('close', onClose);
  }
  stop(): void {
    this.#off?.();
    this.#off = undefined;
  }
}

async function streamResponse<T>(
  kind: 'sse' | 'ndjson',
  res: NodeResponse,
  source: StreamSource<T>,
  options: StreamResponseOptions<T> | undefined,
): Promise<StreamResponseResult> {
  if (!isNodeResponse(res)) throw new TypeError(`${kind}(res, source) needs a node:http response as res, got ${describeValue(res)}`);
  checkKnownKeys('options', options, optionKeys);
  const parent = options?.scope ?? Cancelable.current();
  if (parent === undefined) {
    throw new TypeError(`${kind}() needs a scope: pass options.scope, or call it inside a running scope (requestScope, handleRequest)`);
  }
  const map = options?.map;
  if (map !== undefined && typeof map !== 'function') throw new TypeError(`options.map must be a function, got ${describeValue(map)}`);
  if (source === null || typeof source !== 'object') throw new TypeError(`${kind}(res, source) needs an iterable or a stream as source, got ${describeValue(source)}`);
  const encode = encoderFor(kind, map);

  if (!res.headersSent) {
    const headers = streamHeaders(kind, options?.headers);
    (res as { writeHead(status: number, headers: Record<string, string>): unknown }).writeHead(res.statusCode || 200, headers);
    (res as { flushHeaders?: () => void }).flushHeaders?.();
  }

  const out = res as unknown as { write(chunk: string): boolean };
  let count = 0;
  const scope = new Cancelable({ name: `${kind} stream`, parent, sources: [new ResponseCloseSource(res)], graceMs: parent.graceMs });
  try {
    await scope.run(async (inner) => {
      for await (const item of inner.stream(source)) {
        count++;
        if (!out.write(encode(item))) await drained(res, inner);
      }
    });
  } catch (error) {
    if (!isCancelation(error)) {
      if (!res.writableEnded) res.end();
      throw error;
    }
    if (!res.destroyed && !res.writableEnded) {
      const notice = finalNotice(kind, error, options?.finalEvent);
      if (notice !== undefined) {
        out.write(notice);
        res.end();
      }
    }
    // The caller sees its own scope's cancellation, not the stream's ParentCancelation.
    throw parent.isCancelled && parent.cancelError !== undefined ? parent.cancelError : error;
  }
  res.end();
  return { count };
}

/** Waits for `'drain'`; rejects at once when the scope is cancelled; a closed response ends the wait. */
function drained(res: NodeResponse, scope: CancelScope): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      res.removeListener('drain', done);
      res.removeListener('close', done);
      off();
      resolve();
    };
    const off = onCancellation(scope, (error) => {
      res.removeListener('drain', done);
      res.removeListener('close', done);
      reject(error);
    });
    if (scope.isCancelled) return;
    res.on('drain', done);
    res.on('close', done);
  });
}

/** @internal Turns an item into its wire form: one SSE event, or one NDJSON line. */
export function encoderFor<T>(kind: 'sse' | 'ndjson', map: ((item: T) => unknown) | undefined): (item: T) => string {
  return kind === 'sse' ? (item: T) => formatSse(map === undefined ? item : map(item)) : (item: T) => `${JSON.stringify(map === undefined ? item : map(item))}\n`;
}

/** @internal The response headers of a stream of `kind`, with the caller's (names lower-cased) on top. */
export function streamHeaders(kind: 'sse' | 'ndjson', extra: Record<string, string> | undefined): Record<string, string> {
  const headers: Record<string, string> =
    kind === 'sse'
      ? { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' }
      : { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache' };
  for (const [name, value] of Object.entries(extra ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * @internal What a stream stopped by `error` (a cancellation) tells a client that is still there: a
 * final `cancelled` event with the root reason and message, `''` to end without one (`finalEvent:
 * false`), or `undefined` when the client is gone (a disconnect: nothing can be written).
 */
export function finalNotice(kind: 'sse' | 'ndjson', error: unknown, finalEvent: boolean | undefined): string | undefined {
  const root = rootCancelation(error);
  const reason = isCancelationError(root) ? root.reason : 'manual';
  if (reason === 'disconnect') return undefined;
  if (finalEvent === false) return '';
  const message = root instanceof Error ? root.message : 'cancelled';
  return kind === 'sse' ? formatSse({ event: 'cancelled', data: { reason, message } }) : `${JSON.stringify({ event: 'cancelled', reason, message })}\n`;
}

const LINE_BREAK = /\r\n|\r|\n/;

/** @internal One event in the SSE wire format; names and ids never carry a line break. */
export function formatSse(value: unknown): string {
  const event: SseEvent = isSseEvent(value) ? value : { data: value };
  let out = '';
  if (event.event !== undefined) out += `event: ${String(event.event).replace(/[\r\n]/g, '')}\n`;
  if (event.id !== undefined) out += `id: ${String(event.id).replace(/[\r\n\0]/g, '')}\n`;
  if (event.retry !== undefined && Number.isInteger(event.retry) && event.retry >= 0) out += `retry: ${event.retry}\n`;
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data) ?? 'null';
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

function isSseEvent(value: unknown): value is SseEvent {
  return typeof value === 'object' && value !== null && 'data' in value && Object.keys(value).every((key) => key === 'data' || key === 'event' || key === 'id' || key === 'retry');
}
