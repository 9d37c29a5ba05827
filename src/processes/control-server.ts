// PLACEHOLDER — owned by the processes work (issue 8); replaced by the real implementation.

/** Options of `registry.listen()`. */
export interface ControlServerOptions {
  /** Socket path (named pipe on Windows). Default: per process under $XDG_RUNTIME_DIR or the temp dir. */
  path?: string;
}

/** A running control endpoint. */
export interface ControlServer {
  /** Where it listens. */
  readonly path: string;
  /** Stops listening and removes the socket file. */
  close(): Promise<void>;
}

/** Serves `registry` on a Unix socket speaking line-delimited JSON. */
export function serveRegistry(_registry: object, _options?: ControlServerOptions): Promise<ControlServer> {
  return Promise.reject(new Error('the control endpoint is not implemented yet'));
}
