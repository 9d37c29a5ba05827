/**
 * `cancelable-ts/dashboard`: a live view of running operations in the browser, with cancel buttons,
 * to mount in your own server (node:http, Express, Fastify, Hono, Koa) or serve on its own (SPEC §12).
 *
 * @packageDocumentation
 */
export { dashboard } from './dashboard.js';
export type { DashboardHandler, DashboardStats } from './dashboard.js';
export type { DashboardOptions } from './options.js';
export type { NextFunction } from './node-transport.js';
export { serveDashboard } from './serve.js';
export type { ServeDashboardOptions, ServedDashboard } from './serve.js';
export { fastifyDashboard, honoDashboard, koaDashboard } from './adapters.js';
export type { FastifyLike, HonoContextLike, KoaContextLike, KoaDashboardMiddleware } from './adapters.js';
export { registrySource } from './sources/registry-source.js';
export { fleetSource } from './sources/fleet-source.js';
export { controlSource } from './sources/control-source.js';
export type { ControlSourceOptions } from './sources/control-source.js';
export { ACTION_HEADER } from './security.js';
export { DEFAULT_CANCEL_MESSAGE } from './api.js';
export type { OperationRow } from './sanitize.js';
export type { SseStats } from './sse.js';
export type { StoreStats } from './store.js';
export type {
  DashboardAction,
  DashboardFilter,
  DashboardOperation,
  DashboardRequest,
  DashboardSource,
  FleetOperation,
  FleetRemote,
  SourceCancelResult,
  SourceEvent,
} from './types.js';
