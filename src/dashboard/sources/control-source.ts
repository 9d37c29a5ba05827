import type { ControlClient } from '../../processes/index.js';
import { describeValue } from '../validate.js';
import type { DashboardSource, SourceEvent } from '../types.js';

/** Where {@link controlSource} connects: a process's default socket, or a socket path. */
export interface ControlSourceOptions {
  /** A process that called `registry.listen()` (its default socket). */
  pid?: number;
  /** The socket path given to `registry.listen({ path })`. */
  path?: string;
  /** How long to wait for the connection, in ms (default 2000). */
  timeoutMs?: number;
}

const KEYS = new Set(['pid', 'path', 'timeoutMs']);

/**
 * Connects to another process's registry through its control socket (`registry.listen()`, the one the
 * `cancelable` CLI uses) and returns a {@link DashboardSource} for it: live operations, history, watch
 * events and cancels. `close()` the source (the dashboard does) to disconnect. Rejects when nothing
 * listens there.
 * @example
 * ```ts
 * import { controlSource, serveDashboard } from 'cancelable-ts/dashboard';
 * const served = await serveDashboard({ source: await controlSource({ pid: 4242 }) });
 * console.log(`dashboard of process 4242 at ${served.url}`);
 * ```
 */
export async function controlSource(options: ControlSourceOptions): Promise<DashboardSource> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object ({ pid } or { path }), got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new TypeError(`options.${key} is not an option of controlSource(); expected pid, path or timeoutMs`);
  }
  // Loaded on first use: the dashboard entry does not pull the socket code otherwise.
  const { ControlClient: Client } = await import('../../processes/index.js');
  const client = await Client.connect(options);
  return controlClientSource(client, options.pid !== undefined ? `process ${options.pid}` : client.path);
}

/** The source over a connected {@link ControlClient}. */
export function controlClientSource(client: ControlClient, description: string): DashboardSource {
  return {
    kind: 'process',
    description,
    list: () => client.list(),
    async get(id) {
      return (await client.get(id)) ?? undefined;
    },
    history: (limit) => client.history({ limit }),
    async cancel(id, message) {
      const before = await client.get(id);
      if (before === null || before === undefined) return { found: false, cancelled: false };
      const found = await client.cancel(id, message);
      return { found, cancelled: found && before.cancelReason === null };
    },
    watch(listener: (event: SourceEvent) => void) {
      let stopped = false;
      const stop = client.watch(listener).catch(() => undefined);
      return () => {
        if (stopped) return;
        stopped = true;
        void stop.then((unwatch) => unwatch?.().catch(() => undefined));
      };
    },
    close() {
      client.close();
    },
  };
}
