/**
 * `cancelable-ts/http`: request scopes for `node:http`, `node:http2` and web `Request`s; client
 * disconnects, route timeouts and propagated deadlines; the outcome → status mapping; outbound
 * `fetch` with the remaining budget; streaming responses; graceful shutdown (SPEC §10).
 *
 * @packageDocumentation
 */
export { requestScope, requestInfo } from './request-scope.js';
export type { RequestScopeOptions, RequestInfo } from './request-scope.js';
export type { RequestEnd } from './request-source.js';
export { handleRequest, cancelResponse } from './handle.js';
export type { HandleRequestOptions, NodeHandler, WebHandler } from './handle.js';
export { statusFor, writeCancelResponse } from './status.js';
export type { CancelResponse, WriteCancelOptions } from './status.js';
export { remainingBudget } from './budget.js';
export {
  DEADLINE_HEADERS,
  formatConnectTimeout,
  formatDeadlineHeader,
  formatEnvoyTimeout,
  formatGrpcTimeout,
  formatPreferWait,
  formatTimeoutMs,
  isDeadlineHeader,
  parseConnectTimeout,
  parseDeadlineHeader,
  parseEnvoyTimeout,
  parseGrpcTimeout,
  parsePreferWait,
  parseTimeoutMs,
} from './headers.js';
export type { DeadlineHeader, InboundDeadline, InvalidDeadline } from './headers.js';
export type { NodeRequest, NodeResponse } from './types.js';
export { fetch, createFetch } from './fetch.js';
export type { CreateFetchOptions } from './fetch.js';
export type { OutboundOptions } from './outbound.js';
export { deadlineInterceptor } from './undici.js';
export type { UndiciController, UndiciDispatch, UndiciDispatchOptions, UndiciHandler, UndiciInterceptor } from './undici.js';
export type { Budget } from './budget.js';
export { gracefulShutdown } from './shutdown.js';
export type { GracefulShutdownOptions, ShutdownHandle, ShutdownResult, ShutdownServer } from './shutdown.js';
export { sse, ndjson } from './stream.js';
export type { SseEvent, StreamResponseOptions, StreamResponseResult } from './stream.js';
export { sseResponse, ndjsonResponse } from './web-stream.js';
export type { WebStreamResponseOptions } from './web-stream.js';
