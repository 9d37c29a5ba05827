/**
 * `cancelable-ts/process`: child processes tied to scopes ({@link spawn}, {@link fork},
 * {@link fromParentProcess}), machine resources as a source ({@link ResourceConditionSource}), and the
 * control endpoint that lets another process list and cancel operations (`registry.listen()`,
 * {@link ControlClient}, the `cancelable` CLI).
 *
 * @packageDocumentation
 */
export { DEFAULT_MAX_BUFFER, spawn } from './spawn.js';
export type { SpawnOptions, SpawnPromise, SpawnResult } from './spawn.js';
export { fork } from './fork.js';
export type { ForkExitError, ForkOptions, ForkPromise } from './fork.js';
export { fromParentProcess, ParentProcessSource } from './from-parent.js';
export type { FromParentProcessOptions } from './from-parent.js';
export { ResourceConditionSource, systemResourceSamplers } from './resource.js';
export type { CpuTimes, ResourceConditionOptions, ResourceSamplers } from './resource.js';
export { DEFAULT_PROCESS_GRACE_MS } from './managed-child.js';
export type { KillSignal } from './signals.js';
// The control endpoint lives in src/control/ (the registry loads it lazily); its public names stay here.
export { CONTROL_SERVER_DEFAULTS, serveRegistry } from '../control/server.js';
export type { ControlFilter, ControlRegistry, ControlServer, ControlServerOptions } from '../control/server.js';
export { parseNamePattern } from '../control/name-pattern.js';
export { ControlClient, ControlError } from '../control/client.js';
export type { ControlClientFilter, ControlClientOptions } from '../control/client.js';
export { MAX_LINE_BYTES } from '../control/protocol.js';
export type {
  ControlErrorCode,
  ControlEvent,
  ControlInfo,
  ControlOp,
  ControlRequestId,
  ControlResponse,
} from '../control/protocol.js';
export { defaultSocketDir, defaultSocketPath, findSocketCandidates, MAX_SOCKET_PATH_BYTES } from '../control/socket-path.js';
export type { SocketCandidate } from '../control/socket-path.js';
