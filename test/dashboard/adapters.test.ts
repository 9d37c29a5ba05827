/**
 * Mounting in one line, in real servers: node:http, Express (with its JSON body parser in front),
 * Fastify (plugin), Hono on @hono/node-server (the web fetch variant) and Koa. Each serves the page,
 * the API, the event stream and an action under /ops, and the app's own routes keep working.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve as serveHono } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { dashboard, fastifyDashboard, honoDashboard, koaDashboard, type DashboardHandler } from '../../src/dashboard/index.js';
import { Workload } from './fixtures.js';
import { action, openEvents, request, until } from './helpers.js';

let workload: Workload;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
  await workload.stopAll();
});

function listening(server: http.Server): Promise<string> {
  return new Promise((resolve) => {
    if (server.listening) resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    else server.once('listening', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** What every mounting must do, given the server's origin. */
async function exercise(origin: string): Promise<void> {
  const scope = workload.start('mounted-job', { progressMs: 20 });
  await until(() => workload.registry.size === 1);
  const redirect = await request(origin, '/ops');
  if (redirect.status === 302) expect(redirect.headers.location).toBe('ops/');
  else expect(redirect.status).toBe(200);
  const page = await request(origin, '/ops/');
  expect(page.status).toBe(200);
  expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  expect(page.text).toContain('<title>cancelable</title>');
  await until(async () => (await request(origin, '/ops/api/operations')).json?.total === 1);
  const list = await request(origin, '/ops/api/operations');
  expect(list.json.rows[0].name).toBe('mounted-job');
  const events = await openEvents(origin, '/ops/api/events');
  try {
    await events.waitFor((e) => e.event === 'ops' && e.data.rows.some((row: { id: string }) => row.id === scope.id));
  } finally {
    events.close();
  }
  const refused = await request(origin, `/ops/api/operations/${scope.id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(refused.status).toBe(403);
  const cancelled = await action(origin, `/ops/api/operations/${scope.id}/cancel`, { message: 'from the adapter' });
  expect(cancelled.json).toEqual({ found: true, cancelled: true });
  await until(() => workload.outcomes.has('mounted-job'));
  expect(workload.outcomes.get('mounted-job')).toEqual({ status: 'cancelled', reason: 'manual', message: 'from the adapter' });
  expect((await request(origin, '/health')).text).toBe('ok');
}

describe('mounting', () => {
  it('node:http: one handler with basePath; other paths go to next()', async () => {
    workload = new Workload();
    const ops = dashboard({ registry: workload.registry, basePath: '/ops' });
    const server = http.createServer((req, res) =>
      ops(req, res, () => {
        res.end(req.url === '/health' ? 'ok' : 'app');
      }),
    );
    server.listen(0, '127.0.0.1');
    cleanup = async () => {
      await ops.close();
      await closeServer(server);
    };
    await exercise(await listening(server));
  });

  it('Express: app.use(path, handler), behind express.json()', async () => {
    workload = new Workload();
    const ops = dashboard({ registry: workload.registry });
    const app = express();
    app.use(express.json());
    app.use('/ops', ops);
    app.get('/health', (_req, res) => void res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    cleanup = async () => {
      await ops.close();
      await closeServer(server);
    };
    await exercise(await listening(server));
  });

  it('Fastify: app.register(fastifyDashboard, { prefix })', async () => {
    workload = new Workload();
    const app = Fastify();
    await app.register(fastifyDashboard, { prefix: '/ops', registry: workload.registry });
    app.get('/health', () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanup = () => app.close();
    await exercise(await listening(app.server));
  });

  it('Hono on @hono/node-server: app.all(prefix, honoDashboard()) (the web fetch variant)', async () => {
    workload = new Workload();
    const app = new Hono();
    const ops = honoDashboard({ registry: workload.registry, basePath: '/ops' });
    app.all('/ops/*', ops);
    app.get('/health', (c) => c.text('ok'));
    const server = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
    cleanup = async () => {
      await ops.dashboard.close();
      await closeServer(server);
    };
    await exercise(await listening(server));
  });

  it('Koa: app.use(koaDashboard({ basePath }))', async () => {
    workload = new Workload();
    const app = new Koa();
    const ops = koaDashboard({ registry: workload.registry, basePath: '/ops' });
    app.use(ops);
    app.use((ctx) => {
      ctx.body = ctx.path === '/health' ? 'ok' : 'app';
    });
    const server = app.listen(0, '127.0.0.1');
    cleanup = async () => {
      await ops.dashboard.close();
      await closeServer(server);
    };
    await exercise(await listening(server));
  });

  it('the fetch variant answers web Requests directly, CSRF checks included', async () => {
    workload = new Workload();
    const ops: DashboardHandler = dashboard({ registry: workload.registry, basePath: '/ops' });
    cleanup = () => ops.close();
    const scope = workload.start('fetched');
    await until(() => workload.registry.size === 1);
    const list = await ops.fetch(new Request('http://localhost/ops/api/operations'));
    expect(((await list.json()) as { total: number }).total).toBe(1);
    const forged = await ops.fetch(
      new Request(`http://localhost/ops/api/operations/${scope.id}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-cancelable-dashboard': '1', origin: 'https://evil.example', host: 'localhost' },
        body: '{}',
      }),
    );
    expect(forged.status).toBe(403);
    const big = await ops.fetch(
      new Request(`http://localhost/ops/api/operations/${scope.id}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-cancelable-dashboard': '1' },
        body: JSON.stringify({ message: 'm'.repeat(40_000) }),
      }),
    );
    expect(big.status).toBe(413);
    expect(scope.isCancelled).toBe(false);
    expect((await ops.fetch(new Request('http://localhost/elsewhere'))).status).toBe(404);
    expect((await ops.fetch(new Request('http://localhost/ops'))).headers.get('location')).toBe('ops/');
  });
});

describe('options', () => {
  it('refuse unknown keys, zero or two sources, bad values, naming the key', () => {
    workload = new Workload();
    const registry = workload.registry;
    expect(() => dashboard({ registry, readonly: true } as never)).toThrow(/options\.readonly is not a known option/);
    expect(() => dashboard({})).toThrow(/exactly one of registry, remote or source; got none/);
    expect(() => dashboard({ registry, remote: { list() {}, get() {}, cancel() {} } } as never)).toThrow(/got registry and remote/);
    expect(() => dashboard({ registry: {} as never })).toThrow(/registry must be an OperationRegistry/);
    expect(() => dashboard({ remote: { list: 1 } as never })).toThrow(/remote must have list\(\), get\(\) and cancel\(\)/);
    expect(() => dashboard({ registry, basePath: 'ops' })).toThrow(/options\.basePath must be a path starting with "\/"/);
    expect(() => dashboard({ registry, readOnly: 'yes' as never })).toThrow(/options\.readOnly must be a boolean/);
    expect(() => dashboard({ registry, authorize: true as never })).toThrow(/options\.authorize must be a function/);
    expect(() => dashboard({ registry, maxBodyBytes: 10 })).toThrow(RangeError);
    expect(() => dashboard({ registry, lingerMs: 1.5 })).toThrow(/options\.lingerMs must be an integer/);
  });
});
