import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCore } from './core.js';
import { serveNode, type NextFunction } from './node-transport.js';
import { resolveDashboardOptions, type DashboardOptions } from './options.js';
import type { SseStats } from './sse.js';
import type { StoreStats } from './store.js';
import type { DashboardSource } from './types.js';
import { serveWeb } from './web-transport.js';

/** What {@link DashboardHandler.stats} reports: the event streams and the tracked operations. */
export interface DashboardStats {
  streams: SseStats;
  operations: StoreStats;
}

/**
 * A node:http request handler serving the dashboard (the page, its JSON API and its event stream),
 * with a web `fetch` variant and a `close()`. Connect-style: paths outside the dashboard go to `next`
 * (or get a 404 without one).
 * @example
 * ```ts
 * const ops: DashboardHandler = dashboard({ registry });
 * app.use('/ops', ops); // Express
 * console.log(ops.stats().streams.clients);
 * await ops.close();
 * ```
 */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /** The same dashboard for a web `Request` (Hono, Bun, Deno). */
  fetch(request: Request): Promise<Response>;
  /** Where the operations come from. */
  readonly source: DashboardSource;
  /** Event streams (buffered bytes, dropped laggards) and operations tracked. */
  stats(): DashboardStats;
  /** Ends the event streams, stops watching the source and closes it. */
  close(): Promise<void>;
}

/**
 * Builds the dashboard: a page to watch operations live (tree, progress, history, detail) and cancel
 * them, with a JSON API and server-sent events, as a request handler to mount under any path of your
 * own server. Actions are POST-only with CSRF checks, gated by `readOnly` and `authorize`.
 * @example
 * ```ts
 * import http from 'node:http';
 * import { OperationRegistry } from 'cancelable-ts';
 * import { dashboard } from 'cancelable-ts/dashboard';
 * const ops = dashboard({ registry: OperationRegistry.default, basePath: '/ops' });
 * http.createServer((req, res) => ops(req, res)).listen(8080, '127.0.0.1'); // http://127.0.0.1:8080/ops/
 * ```
 */
export function dashboard(options: DashboardOptions): DashboardHandler {
  const core = createCore(resolveDashboardOptions(options));
  // Watch from now on, so that progress timelines start before anyone opens the page.
  core.store.start().catch(() => undefined);
  const handler = ((req: IncomingMessage, res: ServerResponse, next?: NextFunction): void => {
    serveNode(core, req, res, next).catch((error: unknown) => {
      // serveNode answers its own errors; this is the last resort (a response that cannot be written).
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy(error instanceof Error ? error : undefined);
    });
  }) as DashboardHandler;
  let closing: Promise<void> | undefined;
  Object.defineProperties(handler, {
    fetch: { value: (request: Request) => serveWeb(core, request) },
    source: { value: core.options.source, enumerable: true },
    stats: { value: (): DashboardStats => ({ streams: core.hub.stats(), operations: core.store.stats() }) },
    close: {
      value: (): Promise<void> => {
        closing ??= (async () => {
          core.hub.close();
          await core.store.close();
        })();
        return closing;
      },
    },
  });
  return handler;
}
