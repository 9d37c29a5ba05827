/**
 * The backend-neutral model of cancellation across machines (SPEC §11), shared by the Redis and
 * PostgreSQL entries. Not an entry of its own: each backend entry re-exports the public part.
 */
export { RemoteCancelation, remoteOptionKeys } from './remote.js';
export type { RemoteCancelOptions, RemoteOptions } from './remote.js';
export { RemoteSource } from './remote-source.js';
export type { RemoteSourceOptions } from './remote-source.js';
export type { RemoteBackend, RemoteCancelResult, WakeConnection, WakeEvents, LeaseWrite } from './backend.js';
export { encodeState } from './records.js';
export type { CancelState, FleetOperation } from './records.js';
export type { FleetEvent, FleetFilter, FleetListener, FleetSubscribeOptions } from './fleet.js';
export { remoteErrorChannelName, reporterFor } from './diagnostics.js';
export type { RemoteErrorDiagnostic, Reporter } from './diagnostics.js';
export { MAX_ID_BYTES, DEFAULT_MAX_MESSAGE_BYTES, checkOptions, checkNamespace, checkBoolean, checkInteger, describe, isValidId } from './validate.js';
