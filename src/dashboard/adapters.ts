import type { IncomingMessage, ServerResponse } from 'node:http';
import { dashboard, type DashboardHandler } from './dashboard.js';
import type { DashboardOptions } from './options.js';

/** The part of a Fastify instance {@link fastifyDashboard} uses (Fastify 4 and 5 have it). */
export interface FastifyLike {
  readonly prefix: string;
  removeAllContentTypeParsers(): void;
  addContentTypeParser(type: string, parser: (request: unknown, payload: unknown, done: (error: Error | null, body?: unknown) => void) => void): void;
  route(options: {
    method: string[];
    url: string;
    exposeHeadRoute?: boolean;
    handler: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }) => void;
  }): unknown;
  addHook(name: 'onClose', hook: () => Promise<void>): unknown;
}

/**
 * A Fastify plugin serving the dashboard under the prefix it is registered with. It leaves request
 * bodies unparsed (the dashboard reads and caps them itself) and hijacks replies; `fastify.close()`
 * closes the dashboard. `basePath` comes from the prefix.
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { OperationRegistry } from 'cancelable-ts';
 * import { fastifyDashboard } from 'cancelable-ts/dashboard';
 * const app = Fastify();
 * await app.register(fastifyDashboard, { prefix: '/ops', registry: OperationRegistry.default });
 * ```
 */
export function fastifyDashboard(instance: FastifyLike, options: DashboardOptions & { prefix?: string }): Promise<void> {
  const { prefix: _prefix, ...rest } = options;
  const handler = dashboard({ ...rest, basePath: instance.prefix });
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', (_request, _payload, done) => done(null));
  const serve = (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }): void => {
    reply.hijack();
    handler(request.raw, reply.raw);
  };
  const method = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  instance.route({ method, url: '/', exposeHeadRoute: false, handler: serve });
  instance.route({ method, url: '/*', exposeHeadRoute: false, handler: serve });
  instance.addHook('onClose', () => handler.close());
  return Promise.resolve();
}

/** The part of a Koa context {@link koaDashboard} uses. */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  respond?: boolean;
  request: { body?: unknown };
}

/** Koa middleware that also closes its dashboard. */
export type KoaDashboardMiddleware = ((ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>) & {
  readonly dashboard: DashboardHandler;
};

/**
 * Koa middleware serving the dashboard under `basePath` (other paths go on to `next`). Mount it
 * before a body parser, or let it use the parsed body (within `maxBodyBytes`).
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { OperationRegistry } from 'cancelable-ts';
 * import { koaDashboard } from 'cancelable-ts/dashboard';
 * const app = new Koa();
 * app.use(koaDashboard({ registry: OperationRegistry.default, basePath: '/ops' }));
 * ```
 */
export function koaDashboard(options: DashboardOptions): KoaDashboardMiddleware {
  const handler = dashboard(options);
  const middleware = async (ctx: KoaContextLike, next: () => Promise<unknown>): Promise<void> => {
    let passed = false;
    const parsed = ctx.request.body;
    if (parsed !== undefined && (ctx.req as { body?: unknown }).body === undefined) (ctx.req as { body?: unknown }).body = parsed;
    ctx.respond = false;
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      ctx.res.once('close', done);
      ctx.res.once('finish', done);
      handler(ctx.req, ctx.res, () => {
        passed = true;
        ctx.res.off('close', done);
        ctx.res.off('finish', done);
        resolve();
      });
    });
    if (passed) {
      ctx.respond = true;
      await next();
    }
  };
  return Object.assign(middleware, { dashboard: handler });
}

/** The part of a Hono context {@link honoDashboard} uses. */
export interface HonoContextLike {
  req: { raw: Request };
}

/**
 * A Hono handler serving the dashboard through its web `fetch` variant, under `basePath`: route the
 * prefix and everything below it here.
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { OperationRegistry } from 'cancelable-ts';
 * import { honoDashboard } from 'cancelable-ts/dashboard';
 * const app = new Hono();
 * app.all('/ops/*', honoDashboard({ registry: OperationRegistry.default, basePath: '/ops' }));
 * ```
 */
export function honoDashboard(options: DashboardOptions): ((c: HonoContextLike) => Promise<Response>) & { readonly dashboard: DashboardHandler } {
  const handler = dashboard(options);
  return Object.assign((c: HonoContextLike) => handler.fetch(c.req.raw), { dashboard: handler });
}
