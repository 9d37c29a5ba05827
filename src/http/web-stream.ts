/**
 * Streaming responses for runtimes that answer with a web `Response` (Hono, Bun, Deno, edge):
 * `sseResponse()` and `ndjsonResponse()` are `sse()` and `ndjson()` (SPEC §10) with the response
 * built here, its body a `ReadableStream` that pulls the source under a scope.
 */
import { Cancelable } from '../cancelable.js';
import { checkKnownKeys, describeValue, isCancelation, type CancelScope } from '../core/index.js';
import type { StreamSource } from '../streams/cancelable-stream.js';
import { CancelableAsyncIterator } from '../streams/iterator.js';
import { encoderFor, finalNotice, streamHeaders, type StreamResponseOptions } from './stream.js';

/** Options of {@link sseResponse} and {@link ndjsonResponse}. */
export interface WebStreamResponseOptions<T> extends StreamResponseOptions<T> {
  /** The response's status. Default 200. */
  status?: number;
}

/**
 * @internal The responses built here, each with the end of its stream (never rejects): an adapter that
 * only sees the `Response` (Hono off Node) keeps the request's scope running until it settles.
 */
export const streamingResponses = new WeakMap<Response, Promise<void>>();

const optionKeys: ReadonlySet<string> = new Set(['scope', 'map', 'finalEvent', 'headers', 'status']);

/**
 * A `Response` streaming `source` (an async iterable, iterable, web `ReadableStream` or Node `Readable`)
 * as server-sent events, one event per item, pulled as the client reads (one item ahead at most). The
 * stream runs in a scope: `options.scope` itself when it has not started yet (the stream is then its
 * whole run, e.g. `requestScope(request)` on Bun or Deno), else a child of `options.scope` or of
 * `Cancelable.current()` (the request's scope in a Hono handler, which `cancelable-ts/hono` keeps
 * running until the stream ends). It stops when that scope is cancelled or the client leaves (the
 * runtime cancels the body): the source is closed (`return()`), and, when the client is still there
 * (a timeout, a shutdown), a final `event: cancelled` with `{ reason, message }` ends the body. A
 * source that fails errors the body (the client sees a cut response).
 * @example
 * ```ts
 * // Bun: the request's scope is the stream's; its disconnect and its 60 s timeout stop the stream.
 * Bun.serve({ fetch: (request) => sseResponse(feed(), { scope: requestScope(request, { timeout: 60_000 }) }) });
 * // Hono: in the request's scope (cancelable-ts/hono).
 * app.get('/events', () => sseResponse(feed()));
 * ```
 */
export function sseResponse<T>(source: StreamSource<T>, options?: WebStreamResponseOptions<T>): Response {
  return streamResponse('sse', source, options);
}

/**
 * A `Response` streaming `source` as newline-delimited JSON (`application/x-ndjson`), one line per item,
 * with the scope, pulling and stopping rules of {@link sseResponse}; the final notice is the line
 * `{"event":"cancelled","reason":...,"message":...}`.
 * @example
 * ```ts
 * app.get('/orders', () => ndjsonResponse(db.streamRows('SELECT * FROM orders')));
 * ```
 */
export function ndjsonResponse<T>(source: StreamSource<T>, options?: WebStreamResponseOptions<T>): Response {
  return streamResponse('ndjson', source, options);
}

function streamResponse<T>(kind: 'sse' | 'ndjson', source: StreamSource<T>, options: WebStreamResponseOptions<T> | undefined): Response {
  const name = kind === 'sse' ? 'sseResponse' : 'ndjsonResponse';
  checkKnownKeys('options', options, optionKeys);
  const given: CancelScope | undefined = options?.scope ?? Cancelable.current();
  if (given === undefined) {
    throw new TypeError(`${name}() needs a scope: pass options.scope (e.g. requestScope(request)), or call it inside a running scope`);
  }
  const map = options?.map;
  if (map !== undefined && typeof map !== 'function') throw new TypeError(`options.map must be a function, got ${describeValue(map)}`);
  if (source === null || typeof source !== 'object') throw new TypeError(`${name}(source) needs an iterable or a stream as source, got ${describeValue(source)}`);
  const status = options?.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`options.status must be an integer from 200 to 599, got ${describeValue(status)}`);
  const headers = streamHeaders(kind, options?.headers);
  const encode = encoderFor(kind, map);
  const encoder = new TextEncoder();
  const scope = given.status === 'pending' ? given : new Cancelable({ name: `${kind} stream`, parent: given, graceMs: given.graceMs });

  let out!: ReadableStreamDefaultController<Uint8Array>; // set by start(), synchronously
  let wake: (() => void) | undefined; // the pump's wait for the client to read
  let clientGone = false;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        out = controller;
      },
      pull() {
        const resume = wake;
        wake = undefined;
        resume?.();
      },
      cancel() {
        // The runtime cancels the body when the client goes away.
        clientGone = true;
        scope.cancel({ reason: 'disconnect', message: 'The client disconnected' });
      },
    },
    { highWaterMark: 1 },
  );

  const ended = scope
    .run(async (inner) => {
      for await (const item of new CancelableAsyncIterator(source, inner)) {
        out.enqueue(encoder.encode(encode(item)));
        if ((out.desiredSize ?? 0) <= 0) {
          await inner.race(
            new Promise<void>((resolve) => {
              wake = resolve;
            }),
          );
        }
      }
    })
    .then(
      () => {
        if (!clientGone) out.close();
      },
      (error: unknown) => {
        if (clientGone) return;
        if (!isCancelation(error)) {
          out.error(error);
          return;
        }
        const notice = finalNotice(kind, error, options?.finalEvent);
        if (notice !== undefined && notice !== '') out.enqueue(encoder.encode(notice));
        out.close();
      },
    );
  const response = new Response(body, { status, headers });
  streamingResponses.set(response, ended);
  return response;
}
