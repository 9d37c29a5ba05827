/**
 * The registry's side of `registry.listen()`: the option and server types, and a lazy load of the
 * control endpoint (src/control/), so that importing the registry loads no socket code.
 */
import type { OperationContext } from '../core/context.js';
import type { OperationStatus } from '../core/reasons.js';

/** Options of `registry.listen()`. */
export interface ControlServerOptions {
  /**
   * The socket path (a named pipe such as `\\.\pipe\name` on Windows). Default:
   * `defaultSocketPath()`, i.e. `cancelable-<pid>.sock` in the per-user socket directory
   * (`$CANCELABLE_SOCKET_DIR`, else `$XDG_RUNTIME_DIR`, else `<tmpdir>/cancelable-<uid>`, created 0700).
   */
  path?: string;
  /** Longest request line accepted, in bytes. Default 1 MiB. */
  maxLineBytes?: number;
  /** Most clients connected at once; one more is told `EBUSY` and disconnected. Default 32. */
  maxConnections?: number;
  /** A client that sends nothing for this long, and is not watching, is disconnected. Default 30,000 ms. */
  idleTimeoutMs?: number;
  /**
   * Most output waiting to be read, all clients together, in bytes. Past it, the client with the
   * largest backlog is disconnected. Default 16 MiB.
   */
  maxBufferedBytes?: number;
  /** Most unread watch events for one client, in bytes; a watcher past it is disconnected. Default 4 MiB. */
  maxClientBufferedBytes?: number;
}

/** A running control endpoint. */
export interface ControlServer {
  /** Where it listens. */
  readonly path: string;
  /** Connected clients. */
  readonly connections: number;
  /** Stops listening, disconnects every client and removes the socket file. Idempotent. */
  close(): Promise<void>;
  /** Same as {@link ControlServer.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A registry event as the control endpoint sends it. */
export interface ControlEvent {
  type: 'start' | 'progress' | 'end';
  context: OperationContext;
}

/** The filter of `list` and `cancelAll` as the control endpoint passes it to the registry. */
export interface ControlFilter {
  /** One status, or any of several. */
  status?: OperationStatus | readonly OperationStatus[];
  /** A case-insensitive substring of the name (in process, a RegExp too; never over the socket). */
  name?: string | RegExp;
  /** The parent's id; `null` selects top-level operations. */
  parentId?: string | null;
}

/**
 * What the control endpoint needs from a registry (`OperationRegistry` has it): exactly the
 * registry's query, cancel and subscribe methods.
 */
export interface ControlRegistry {
  list(filter?: ControlFilter): OperationContext[];
  get(id: string): { readonly context: OperationContext } | undefined;
  cancel(id: string, message?: string): boolean;
  cancelAll(filter?: ControlFilter, message?: string): number;
  history(options?: { limit?: number; status?: OperationStatus; since?: Date | number }): OperationContext[];
  stats(): object;
  subscribe(listener: (event: ControlEvent) => void): () => void;
}

/** @internal Serves `registry` (loads the control endpoint on first use). */
export async function listenRegistry(registry: ControlRegistry, options?: ControlServerOptions): Promise<ControlServer> {
  const { serveRegistry } = await import('../control/server.js');
  return serveRegistry(registry, options);
}
