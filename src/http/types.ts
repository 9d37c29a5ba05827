/**
 * The request and response shapes `cancelable-ts/http` accepts: `node:http` and the `node:http2`
 * compatibility API (types only: nothing here loads `node:http`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/** A `node:http` or `node:http2` (compatibility API) server request. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** A `node:http` or `node:http2` (compatibility API) server response. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/** @internal Whether `value` looks like a web `Request` (has a `Headers` object and a signal). */
export function isWebRequest(value: unknown): value is Request {
  if (typeof value !== 'object' || value === null) return false;
  const headers = (value as { headers?: unknown }).headers;
  return typeof (headers as { get?: unknown } | undefined)?.get === 'function' && 'signal' in value;
}

/** @internal Whether `value` looks like a Node server request (an emitter with a headers object). */
export function isNodeRequest(value: unknown): value is NodeRequest {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { headers?: unknown; on?: unknown };
  return typeof candidate.on === 'function' && typeof candidate.headers === 'object' && candidate.headers !== null;
}

/** @internal Whether `value` looks like a Node server response. */
export function isNodeResponse(value: unknown): value is NodeResponse {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { on?: unknown; writeHead?: unknown; end?: unknown };
  return typeof candidate.on === 'function' && typeof candidate.writeHead === 'function' && typeof candidate.end === 'function';
}
