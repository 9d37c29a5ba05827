import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dashboard, type DashboardHandler } from './dashboard.js';
import type { DashboardOptions } from './options.js';
import { describeValue } from './validate.js';

/** Options of {@link serveDashboard}: the dashboard's, plus where to listen. */
export interface ServeDashboardOptions extends DashboardOptions {
  /** The port (default 0: any free one). */
  port?: number;
  /** The interface (default `127.0.0.1`: this machine only). */
  host?: string;
}

/** A dashboard served on its own HTTP server. */
export interface ServedDashboard {
  /** The page's address, e.g. `http://127.0.0.1:4555/`. */
  readonly url: string;
  readonly server: Server;
  readonly dashboard: DashboardHandler;
  /** Ends the event streams, closes the source and the server. */
  close(): Promise<void>;
}

/**
 * Serves a dashboard on its own HTTP server (what `cancelable dashboard` does), on 127.0.0.1 by
 * default; resolves once listening, with its URL.
 * @example
 * ```ts
 * import { OperationRegistry } from 'cancelable-ts';
 * import { serveDashboard } from 'cancelable-ts/dashboard';
 * const served = await serveDashboard({ registry: OperationRegistry.default, port: 4555 });
 * console.log(`dashboard at ${served.url}`);
 * await served.close();
 * ```
 */
export async function serveDashboard(options: ServeDashboardOptions): Promise<ServedDashboard> {
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describeValue(options)}`);
  const { port = 0, host = '127.0.0.1', ...rest } = options;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`options.port must be an integer from 0 to 65535, got ${describeValue(port)}`);
  }
  if (typeof host !== 'string' || host === '') throw new TypeError(`options.host must be a host name or address, got ${describeValue(host)}`);
  const handler = dashboard(rest);
  const server = createServer(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await handler.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  const base = rest.basePath === undefined ? '' : rest.basePath.replace(/\/+$/, '');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}${base}/`,
    server,
    dashboard: handler,
    close() {
      closing ??= (async () => {
        await handler.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
