/**
 * Koa and Hono (on @hono/node-server) write the response after the middleware chain returns. A
 * streamed body the handler does not tie to the scope (a Node stream, a web ReadableStream) is still
 * stopped by the request's route timeout: the adapter keeps the scope until the response is written,
 * and on cancellation destroys the body and the response, so the client sees a cut response (not a
 * clean end of a truncated body) and the stream's resources are released at once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve as serveHono } from '@hono/node-server';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { isCancelation } from '../../src/core/index.js';
import { requestScope as honoScope } from '../../src/hono/index.js';
import { requestScope as koaScope } from '../../src/koa/index.js';
import { closeServer } from './apps.js';
import { streamRequest, until } from './clients.js';

interface Untied {
  /** performance.now() when the body was stopped (destroyed / cancelled), and with what. */
  stoppedAt?: number;
  stoppedWith?: unknown;
  chunks: number;
}

/** A Node stream that pushes a line every 10 ms for 10 s, knowing nothing of any scope. */
function untiedReadable(state: Untied): Readable {
  let timer: NodeJS.Timeout | undefined;
  return new Readable({
    read() {
      if (timer !== undefined) return;
      timer = setInterval(() => {
        state.chunks++;
        this.push('line\n');
        if (state.chunks === 1_000) {
          clearInterval(timer);
          this.push(null);
        }
      }, 10);
    },
    destroy(error, callback) {
      clearInterval(timer);
      state.stoppedAt = performance.now();
      state.stoppedWith = error;
      callback(null);
    },
  });
}

/** The same as a web ReadableStream. */
function untiedWebStream(state: Untied): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      state.chunks++;
      controller.enqueue(encoder.encode('line\n'));
      if (state.chunks === 1_000) controller.close();
    },
    cancel(reason) {
      state.stoppedAt = performance.now();
      state.stoppedWith = reason;
    },
  });
}

async function listen(server: http.Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a streamed body the handler does not tie to the scope is stopped by the route timeout', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    if (server !== undefined) await closeServer(server);
    server = undefined;
  });

  it('koa: a Node stream body is destroyed with the timeout, and the response is cut', async () => {
    const state: Untied = { chunks: 0 };
    const appErrors: unknown[] = [];
    const app = new Koa();
    app.silent = true;
    app.on('error', (error: unknown) => appErrors.push(error));
    app.use(koaScope({ timeout: 100 }));
    app.use((ctx) => {
      ctx.body = untiedReadable(state);
    });
    const callback = app.callback();
    server = http.createServer((req, res) => void callback(req, res)).listen(0, '127.0.0.1');
    const origin = await listen(server);
    const started = performance.now();
    const reply = await streamRequest(origin, '/');
    expect(reply.status).toBe(200);
    expect(reply.complete).toBe(false);
    expect(reply.body.startsWith('line\n')).toBe(true);
    await until(() => state.stoppedAt !== undefined, 2_000, 'the body to be destroyed');
    // The timeout is 100 ms from arrival; the stream would have run 10 s.
    expect(state.stoppedAt! - started).toBeGreaterThanOrEqual(90);
    expect(state.stoppedAt! - started).toBeLessThan(1_000);
    expect(state.chunks).toBeLessThan(100);
    expect(isCancelation(state.stoppedWith)).toBe(true);
    expect((state.stoppedWith as { reason?: string }).reason).toBe('timeout');
    // Koa reports the body's error to the application: the cancellation, recognisable as such.
    await until(() => appErrors.length > 0, 2_000, "Koa's error event");
    expect(appErrors.every((error) => isCancelation(error))).toBe(true);
  });

  it('koa: a web ReadableStream body is cancelled with the timeout', async () => {
    const state: Untied = { chunks: 0 };
    const app = new Koa();
    app.silent = true;
    app.use(koaScope({ timeout: 100 }));
    app.use((ctx) => {
      ctx.body = untiedWebStream(state);
    });
    const callback = app.callback();
    server = http.createServer((req, res) => void callback(req, res)).listen(0, '127.0.0.1');
    const reply = await streamRequest(await listen(server), '/');
    expect(reply.complete).toBe(false);
    await until(() => state.stoppedAt !== undefined, 2_000, 'the body to be cancelled');
    expect(state.chunks).toBeLessThan(100);
  });

  it('hono on @hono/node-server: a ReadableStream body is cancelled with the timeout, and the response is cut', async () => {
    const state: Untied = { chunks: 0 };
    const app = new Hono();
    app.use(honoScope({ timeout: 100 }));
    app.get('/', (c) => c.body(untiedWebStream(state)));
    server = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
    const started = performance.now();
    const reply = await streamRequest(await listen(server), '/');
    expect(reply.status).toBe(200);
    expect(reply.complete).toBe(false);
    expect(reply.body.startsWith('line\n')).toBe(true);
    await until(() => state.stoppedAt !== undefined, 2_000, 'the body to be cancelled');
    expect(state.stoppedAt! - started).toBeGreaterThanOrEqual(90);
    expect(state.stoppedAt! - started).toBeLessThan(1_000);
    expect(state.chunks).toBeLessThan(100);
  });

  it('a body that ends before the timeout is written whole, and the timeout then fires nothing', async () => {
    const app = new Koa();
    app.silent = true;
    const appErrors: unknown[] = [];
    app.on('error', (error: unknown) => appErrors.push(error));
    app.use(koaScope({ timeout: 100 }));
    app.use((ctx) => {
      ctx.body = Readable.from(['a\n', 'b\n', 'c\n']);
    });
    const callback = app.callback();
    server = http.createServer((req, res) => void callback(req, res)).listen(0, '127.0.0.1');
    const reply = await streamRequest(await listen(server), '/');
    expect(reply).toMatchObject({ status: 200, complete: true, body: 'a\nb\nc\n' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(appErrors).toEqual([]);
  });
});
