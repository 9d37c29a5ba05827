/**
 * `cancelable-ts/redis`: cancel scopes running in other processes and on other machines through
 * Redis (SPEC §11). Works with ioredis and node-redis (optional peer dependencies, injected).
 *
 * @packageDocumentation
 */
export { createRedisCancelation } from './create.js';
export type { RedisCancelationOptions, RedisClientLike } from './create.js';
export { connectRedisCancelation } from './connect.js';
export type { ConnectRedisOptions } from './connect.js';
export type { IoredisLike } from './ioredis-adapter.js';
export type { NodeRedisLike } from './node-redis-adapter.js';
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
