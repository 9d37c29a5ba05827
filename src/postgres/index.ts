/**
 * `cancelable-ts/postgres`: cancel scopes running in other processes and on other machines through
 * PostgreSQL (SPEC §11). Works with `pg` (optional peer dependency, injected).
 *
 * @packageDocumentation
 */
export { createPostgresCancelation } from './create.js';
export type { PostgresCancelationOptions } from './create.js';
export { connectPostgresCancelation } from './connect.js';
export type { ConnectPostgresOptions } from './connect.js';
export type { PgClientLike, PgPoolLike, PgQueryable, PgResultLike } from './pg-like.js';
export { fleetFromUrl } from '../remote/from-url.js';
export type { FleetFromUrlOptions } from '../remote/from-url.js';
export { RemoteCancelation, RemoteSource, remoteErrorChannelName } from '../remote/index.js';
export type {
  CancelState,
  FleetEvent,
  FleetFilter,
  FleetListener,
  FleetOperation,
  FleetSubscribeOptions,
  RemoteCancelOptions,
  RemoteCancelResult,
  RemoteErrorDiagnostic,
  RemoteOptions,
  RemoteSourceOptions,
} from '../remote/index.js';
