/**
 * The adapters' options and per-route forms, on real servers: `onCancel` replaces the mapped answer;
 * `routeTimeout(ms)` works with or without an application-wide scope; bad options fail at the call,
 * naming the key or value; Hono's middleware runs on a bare web `Request` (no server: any runtime),
 * its signal being the disconnect.
 */
import http from 'node:http';
import express from 'express';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { Cancelable } from '../../src/cancelable.js';
import { requestScope as expressScope, routeTimeout as expressRouteTimeout } from '../../src/express/index.js';
import { cancelationErrors as honoErrors, requestScope as honoScope, routeTimeout as honoRouteTimeout } from '../../src/hono/index.js';
import { requestScope as koaScope, routeTimeout as koaRouteTimeout } from '../../src/koa/index.js';
import { closeServer } from './apps.js';
import { request } from './clients.js';

let server: http.Server | undefined;
afterEach(async () => {
  if (server) await closeServer(server);
  server = undefined;
});

async function serve(listener: http.RequestListener): Promise<string> {
  server = http.createServer(listener);
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const reasonOf = (error: unknown): string | undefined => (error as { reason?: string }).reason;

describe('express', () => {
  it('onCancel replaces the default answer', async () => {
    const app = express();
    app.use(
      expressScope({
        timeout: 30,
        onCancel: (error, _req, res) => {
          res.status(503).json({ cancelled: reasonOf(error) });
        },
      }),
    );
    app.get('/', async (req, res) => {
      await req.scope!.sleep(10_000);
      res.send('late');
    });
    const origin = await serve(app);
    const reply = await request(origin, '/');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toEqual({ cancelled: 'timeout' });
  });

  it('routeTimeout(ms) on its own is the request scope', async () => {
    const app = express();
    let same = false;
    app.get('/', expressRouteTimeout(30), async (req, res) => {
      same = req.scope !== undefined && req.scope === Cancelable.current();
      await req.scope!.sleep(10_000);
      res.send('late');
    });
    const origin = await serve(app);
    expect((await request(origin, '/')).status).toBe(503);
    expect(same).toBe(true);
  });

  it('routeTimeout(ms) inside an application scope tightens it: 503 at the route timeout', async () => {
    const app = express();
    app.use(expressScope({ timeout: 10_000 }));
    let parentOf: unknown;
    let outer: unknown;
    app.use((req, _res, next) => {
      outer = req.scope;
      next();
    });
    app.get('/', expressRouteTimeout(30), async (req, res) => {
      parentOf = req.scope!.parent;
      await req.scope!.sleep(10_000);
      res.send('late');
    });
    const origin = await serve(app);
    const started = performance.now();
    expect((await request(origin, '/')).status).toBe(503);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(parentOf).toBe(outer);
  });

  it('bad options fail at the call', () => {
    expect(() => expressScope({ timout: 5 } as never)).toThrow(TypeError);
    expect(() => expressScope({ timout: 5 } as never)).toThrow(/timout/);
    expect(() => expressScope({ timeout: -1 })).toThrow(/options.timeout/);
    expect(() => expressScope({ onCancel: 'no' as never })).toThrow(/onCancel/);
    expect(() => expressScope({ retryAfter: -1 })).toThrow(/options.retryAfter/);
    expect(() => expressScope({ deadlineHeaders: ['x-my-timeout' as never] })).toThrow(/deadlineHeaders\[0\]/);
    expect(() => expressRouteTimeout(-1)).toThrow(RangeError);
    expect(() => expressRouteTimeout('5' as never)).toThrow(/'5'|"5"/);
  });
});

describe('hono', () => {
  it('runs on a bare web Request (no server): aborting its signal cancels the handler with reason disconnect', async () => {
    const app = new Hono();
    const failures: unknown[] = [];
    app.onError(
      honoErrors((error, c) => {
        failures.push(error);
        return c.text('failed', 500);
      }),
    );
    app.use(honoScope());
    let reason: string | undefined;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    app.get('/', async (c) => {
      started();
      try {
        await c.var.scope.sleep(10_000);
      } catch (error) {
        reason = reasonOf(error);
        throw error;
      }
      return c.text('late');
    });
    const controller = new AbortController();
    const response = app.fetch(new Request('http://local/', { signal: controller.signal }));
    await running;
    controller.abort();
    const answered = await response;
    expect(reason).toBe('disconnect');
    expect(answered.status).toBe(499);
    // The cancellation skipped the application's onError.
    expect(failures).toEqual([]);
  });

  it('routeTimeout(ms) on its own, and onCancel returning the Response', async () => {
    const app = new Hono();
    app.onError(honoErrors((_error, c) => c.text('failed', 500)));
    app.get('/', honoRouteTimeout(30, { onCancel: (error) => Response.json({ cancelled: reasonOf(error) }, { status: 503 }) }), async (c) => {
      await c.var.scope.sleep(10_000);
      return c.text('late');
    });
    const answered = await app.fetch(new Request('http://local/'));
    expect(answered.status).toBe(503);
    expect(await answered.json()).toEqual({ cancelled: 'timeout' });
  });

  it('bad options fail at the call', () => {
    expect(() => honoScope({ timout: 5 } as never)).toThrow(/timout/);
    expect(() => honoRouteTimeout(Number.NaN)).toThrow(RangeError);
    expect(() => honoErrors(undefined as never)).toThrow(/onError handler/);
  });
});

describe('koa', () => {
  it('onCancel replaces the default answer; routeTimeout(ms) tightens the application scope', async () => {
    const app = new Koa();
    app.use(koaScope({ timeout: 10_000, onCancel: (error, ctx) => { ctx.status = 503; ctx.body = { cancelled: reasonOf(error) }; } }));
    const timeout30 = koaRouteTimeout(30, { onCancel: (error, ctx) => { ctx.status = 503; ctx.body = { route: reasonOf(error) }; } });
    app.use(async (ctx, next) => {
      if (ctx.path !== '/route') return next();
      await timeout30(ctx, async () => {
        await ctx.scope!.sleep(10_000);
      });
    });
    app.use(async (ctx) => {
      ctx.body = { same: ctx.scope === Cancelable.current() };
    });
    const callback = app.callback();
    const origin = await serve((req, res) => void callback(req, res));
    const routed = await request(origin, '/route');
    expect(routed.status).toBe(503);
    expect(JSON.parse(routed.body)).toEqual({ route: 'timeout' });
    expect(JSON.parse((await request(origin, '/other')).body)).toEqual({ same: true });
  });

  it('bad options fail at the call', () => {
    expect(() => koaScope({ timout: 5 } as never)).toThrow(/timout/);
    expect(() => koaRouteTimeout(-5)).toThrow(RangeError);
  });
});
