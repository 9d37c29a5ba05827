/**
 * The outcome → status mapping of SPEC §10: what a cancelled request answers when its headers have
 * not been sent yet.
 */
import { CancelScope, isCancelation, isCancelationError, log } from '../core/index.js';
import { endOfError } from './request-source.js';
import type { NodeResponse } from './types.js';

/**
 * What to answer for a cancelled request. `write: false` means write nothing (the client is gone);
 * `status` is then 499, for logs (nginx's convention).
 */
export interface CancelResponse {
  /** The HTTP status: 503, 504, or 499 (logged only) for a disconnect. */
  readonly status: number;
  /** Headers to send with it (`Connection: close` on shutdown, `Retry-After` on a route timeout when configured). */
  readonly headers: Readonly<Record<string, string>>;
  /** A short plain-text body. */
  readonly body: string;
  /** Whether anything should be written at all (false for a disconnect). */
  readonly write: boolean;
  /** What happened, in the HTTP layer's words. */
  readonly cause: 'disconnect' | 'route-timeout' | 'deadline' | 'timeout' | 'shutdown' | 'cancelled';
  /** The cancellation error it was derived from (the root of a `ParentCancelation` chain). */
  readonly error: unknown;
}

const DISCONNECT: Omit<CancelResponse, 'error'> = { status: 499, headers: {}, body: '', write: false, cause: 'disconnect' };
const TEXT = 'text/plain; charset=utf-8';

/**
 * Maps a request's outcome to its response (SPEC §10): route timeout → 503 (with `Retry-After` when
 * the request scope has `retryAfter`), the caller's deadline expired → 504 (any other timeout too: a
 * dependency ran out of time), shutdown (an OS signal) → 503 with `Connection: close`, a client
 * disconnect → nothing written (499 in logs), another cancellation (manual, condition) → 503. A
 * `ParentCancelation` is mapped by the reason at the root of its chain. Takes the scope or the error;
 * returns `undefined` when there is nothing to map: the scope was not cancelled, or the error is not a
 * cancellation (a failure goes to the framework's own error handling, unchanged).
 * @example
 * ```ts
 * try { await scope.run(handler); }
 * catch (error) {
 *   const answer = statusFor(error);
 *   if (answer === undefined) throw error;          // a real failure
 *   if (answer.write && !res.headersSent) res.writeHead(answer.status, answer.headers).end(answer.body);
 * }
 * ```
 */
export function statusFor(scopeOrError: unknown): CancelResponse | undefined {
  let error: unknown = scopeOrError;
  if (scopeOrError instanceof CancelScope) {
    error = scopeOrError.cancelError;
    if (error === undefined) return undefined;
  }
  if (!isCancelation(error)) return undefined;
  const root = rootCancelation(error);
  const fired = typeof root === 'object' && root !== null ? endOfError.get(root) : undefined;
  if (fired !== undefined) {
    switch (fired.end) {
      case 'disconnect':
        return { ...DISCONNECT, error: root };
      case 'route-timeout': {
        const headers: Record<string, string> = { 'content-type': TEXT };
        if (fired.state.retryAfter !== undefined) headers['retry-after'] = String(Math.ceil(fired.state.retryAfter));
        return { status: 503, headers, body: 'Request timed out\n', write: true, cause: 'route-timeout', error: root };
      }
      case 'deadline':
        return { status: 504, headers: { 'content-type': TEXT }, body: 'Deadline exceeded\n', write: true, cause: 'deadline', error: root };
      default:
        return shutdown(root);
    }
  }
  const reason = isCancelationError(root) ? root.reason : nativeReason(root);
  switch (reason) {
    case 'disconnect':
      return { ...DISCONNECT, error: root };
    case 'timeout':
      return { status: 504, headers: { 'content-type': TEXT }, body: 'Deadline exceeded\n', write: true, cause: 'timeout', error: root };
    case 'signal':
      return shutdown(root);
    default:
      return { status: 503, headers: { 'content-type': TEXT }, body: 'Request cancelled\n', write: true, cause: 'cancelled', error: root };
  }
}

function shutdown(error: unknown): CancelResponse {
  return {
    status: 503,
    headers: { 'content-type': TEXT, connection: 'close' },
    body: 'Server shutting down\n',
    write: true,
    cause: 'shutdown',
    error,
  };
}

/** @internal Follows a `ParentCancelation` (and errors wrapping a cancellation) to the cancellation that started it. */
export function rootCancelation(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 1_000; depth++) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    const isParent = isCancelationError(current) && (current).reason === 'parent';
    const wraps = !isCancelationError(current) && !isNativeCancel(current);
    if (!(isParent || wraps) || !isCancelation(cause)) return current;
    current = cause;
  }
  return current;
}

function isNativeCancel(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

function nativeReason(error: unknown): string {
  return (error as { name?: unknown } | null)?.name === 'TimeoutError' ? 'timeout' : 'manual';
}

/** Options of {@link writeCancelResponse}. */
export interface WriteCancelOptions {
  /** Replaces the default mapping: return the response to write, or `undefined` to write nothing. */
  map?: (answer: CancelResponse) => CancelResponse | undefined;
}

/**
 * Writes the mapped response for a cancelled request on a `node:http` / `node:http2` response, when
 * its headers have not been sent and the client is still there; returns whether it wrote. A disconnect
 * writes nothing and is logged at `debug` level as 499.
 * @example
 * ```ts
 * scope.run(handler).catch((error) => { if (!writeCancelResponse(res, error)) res.destroy(); });
 * ```
 */
export function writeCancelResponse(res: NodeResponse, scopeOrError: unknown, options?: WriteCancelOptions): boolean {
  const mapped = statusFor(scopeOrError);
  if (mapped === undefined) return false;
  const answer = options?.map === undefined ? mapped : options.map(mapped);
  if (answer === undefined || !answer.write) {
    if (mapped.cause === 'disconnect') log(undefined, 'debug', 'cancelable-ts/http: client disconnected (499)', { status: 499 });
    return false;
  }
  if (res.headersSent || res.writableEnded || res.destroyed) return false;
  const http2 = (res as { stream?: unknown }).stream !== undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    // HTTP/2 forbids connection-specific headers: shutdown there is a GOAWAY, sent by gracefulShutdown.
    if (http2 && name === 'connection') continue;
    headers[name] = value;
  }
  if (!http2 && answer.headers.connection === 'close') (res as { shouldKeepAlive?: boolean }).shouldKeepAlive = false;
  (res as { writeHead(status: number, headers: Record<string, string>): unknown }).writeHead(answer.status, headers);
  res.end(answer.body);
  return true;
}
