/**
 * The same application written for each framework adapter (Express, Fastify, Hono on
 * @hono/node-server, Koa), served on 127.0.0.1, so one suite (./suite.ts) exercises them all:
 *
 *   GET  /wait?ms=N     awaits Cancelable.current().sleep(N), records how it ended, answers 'done'
 *   GET  /proxy         fetches the downstream server (which never answers) with cancelable-ts/http's fetch
 *   POST /upload        reads the whole body, then sleeps 100 ms in the scope, answers the byte count
 *   GET  /timeout       route timeout 50 ms, sleeps 10 s in the scope
 *   GET  /ignore        route timeout 50 ms, ignores cancellation (a plain 300 ms timer)
 *   GET  /boom          throws: the framework's error handler answers 500 'handled: boom'
 *   GET  /inner         its own 30 ms timeout (a child scope) expires: a cancellation it got elsewhere
 *   GET  /fast          answers at once (load test), after an optional `ms` sleep
 *   GET  /stream?count=N&ms=M   a streamed body: N lines 'tick', M ms apart, produced in the request's
 *                       scope (Hono: in a child scope started in its streaming callback) after the
 *                       handler returned; records how it ended and whether the request's scope was
 *                       still running at every tick
 *   GET  /stream-timeout        the same, 10 s long, under a 150 ms route timeout
 *
 * Each request carries `x-test-id`; the handler records what happened under it (outcome, whether
 * `Cancelable.current()` was the framework object's scope), and every write on the raw response is
 * tracked, so a test can assert that nothing was written after a disconnect.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, pipeline } from 'node:stream';
import { serve as serveHono } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono, type Context as HonoContext } from 'hono';
import { streamText } from 'hono/streaming';
import Koa from 'koa';
import { Cancelable } from '../../src/cancelable.js';
import { noop } from '../../src/core/index.js';
import { fetch as scopedFetch } from '../../src/http/fetch.js';
import type { OperationRegistry } from '../../src/registry/index.js';
import { cancelablePlugin } from '../../src/fastify/index.js';
import { cancelationErrors, requestScope as expressScope, routeTimeout as expressRouteTimeout } from '../../src/express/index.js';
import { cancelationErrors as honoErrors, requestScope as honoScope, routeTimeout as honoRouteTimeout } from '../../src/hono/index.js';
import { requestScope as koaScope, routeTimeout as koaRouteTimeout } from '../../src/koa/index.js';

export type Framework = 'express' | 'fastify' | 'hono' | 'koa';

export interface Outcome {
  /** 'completed' or the cancellation reason the handler's await rejected with. */
  readonly end: string;
  /** performance.now() when the handler saw it. */
  readonly at: number;
  /** Whether Cancelable.current() was the scope on the framework's request object. */
  readonly sameScope: boolean;
  readonly bytes?: number;
  /** /stream: lines produced, and whether the request's scope was running at each. */
  readonly ticks?: number;
  readonly allRunning?: boolean;
}

export interface Recorder {
  readonly outcomes: Map<string, Outcome>;
  /** Raw writes per test id: writeHead / write / end calls. */
  readonly writes: Map<string, string[]>;
  /** Errors the framework's error handler saw, by test id. */
  readonly errors: Map<string, unknown>;
  /** Resolves when `id` has an outcome. */
  outcome(id: string, timeoutMs?: number): Promise<Outcome>;
}

export interface RunningApp {
  readonly origin: string;
  readonly server: http.Server;
  readonly recorder: Recorder;
  close(): Promise<void>;
}

export interface AppOptions {
  /** The downstream origin /proxy calls. */
  readonly downstream?: string;
  /** Registry the request scopes register with (load test). */
  readonly registry?: OperationRegistry;
}

function createRecorder(): Recorder {
  const outcomes = new Map<string, Outcome>();
  const waiters = new Map<string, (o: Outcome) => void>();
  const record = outcomes.set.bind(outcomes);
  outcomes.set = (id: string, outcome: Outcome) => {
    record(id, outcome);
    waiters.get(id)?.(outcome);
    waiters.delete(id);
    return outcomes;
  };
  return {
    outcomes,
    writes: new Map(),
    errors: new Map(),
    outcome(id, timeoutMs = 5_000) {
      const known = outcomes.get(id);
      if (known) return Promise.resolve(known);
      return new Promise<Outcome>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(id);
          reject(new Error(`no outcome for ${id} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(id, (o) => {
          clearTimeout(timer);
          resolve(o);
        });
      });
    },
  };
}

/** Wraps the raw response's write methods of every request with an x-test-id, recording the calls. */
function trackWrites(server: http.Server, recorder: Recorder): void {
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const id = req.headers['x-test-id'];
    if (typeof id !== 'string') return;
    const calls: string[] = [];
    recorder.writes.set(id, calls);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => http.ServerResponse;
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      calls.push(`writeHead ${String(args[0])}`);
      return writeHead(...args);
    });
    res.write = ((...args: unknown[]) => {
      calls.push('write');
      return write(...args);
    }) as typeof res.write;
    res.end = ((...args: unknown[]) => {
      calls.push('end');
      return end(...args);
    }) as typeof res.end;
  });
}

/** What every handler shares: sleep in the current scope and record how it ended. */
async function sleepAndRecord(recorder: Recorder, id: string, ms: number, frameworkScope: unknown): Promise<void> {
  const scope = Cancelable.current();
  const sameScope = scope !== undefined && scope === frameworkScope;
  try {
    await scope!.sleep(ms);
  } catch (error) {
    recorder.outcomes.set(id, { end: (error as { reason?: string }).reason ?? String(error), at: performance.now(), sameScope });
    throw error;
  }
  recorder.outcomes.set(id, { end: 'completed', at: performance.now(), sameScope });
}

async function proxy(recorder: Recorder, id: string, downstream: string, frameworkScope: unknown): Promise<string> {
  const scope = Cancelable.current()!;
  const sameScope = scope === frameworkScope;
  try {
    // cancelable-ts/http's fetch: the current scope's signal, and the remaining budget downstream.
    const answer = await scopedFetch(`${downstream}/hold?id=${id}`);
    return await answer.text();
  } catch (error) {
    recorder.outcomes.set(id, { end: scope.cancelError?.reason ?? String(error), at: performance.now(), sameScope });
    throw error;
  }
}

/** Reads a Node request body in the current scope (cut mid-body: the scope is cancelled). */
async function readNodeBody(req: http.IncomingMessage): Promise<number> {
  const scope = Cancelable.current()!;
  let bytes = 0;
  for await (const chunk of scope.stream(req)) bytes += (chunk as Buffer).length;
  return bytes;
}

async function afterUpload(recorder: Recorder, id: string, bytes: number, frameworkScope: unknown): Promise<void> {
  const scope = Cancelable.current()!;
  const sameScope = scope === frameworkScope;
  try {
    await scope.sleep(100);
  } catch (error) {
    recorder.outcomes.set(id, { end: (error as { reason?: string }).reason ?? String(error), at: performance.now(), sameScope, bytes });
    throw error;
  }
  recorder.outcomes.set(id, { end: 'completed', at: performance.now(), sameScope, bytes });
}

function recordCut(recorder: Recorder, id: string, error: unknown, frameworkScope: unknown): void {
  const scope = Cancelable.current();
  recorder.outcomes.set(id, {
    end: scope?.cancelError?.reason ?? (error as { reason?: string }).reason ?? String(error),
    at: performance.now(),
    sameScope: scope === frameworkScope,
  });
}

/** A timeout of the handler's own (a child scope of the request's): its cancellation, got elsewhere. */
function innerTimeout(): Promise<void> {
  return Cancelable.withTimeout(30).run((scope) => scope.sleep(10_000));
}

function ignoring(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 300));
}

/**
 * The lines of a streamed body, produced in `scope` after the handler returned; `frameworkScope` (the
 * request's) must still be running at each. Records how the production ended.
 */
async function* ticks(recorder: Recorder, id: string, scope: Cancelable, frameworkScope: Cancelable, count: number, ms: number): AsyncGenerator<string> {
  let produced = 0;
  let allRunning = true;
  try {
    for (; produced < count; produced++) {
      allRunning &&= frameworkScope.isRunning;
      yield 'tick\n';
      await scope.sleep(ms);
    }
  } catch (error) {
    const end = frameworkScope.cancelError?.reason ?? (error as { reason?: string }).reason ?? String(error);
    recorder.outcomes.set(id, { end, at: performance.now(), sameScope: true, ticks: produced, allRunning });
    throw error;
  }
  recorder.outcomes.set(id, { end: 'completed', at: performance.now(), sameScope: true, ticks: produced, allRunning });
}

function streamQuery(query: (name: string) => unknown): { count: number; ms: number } {
  return { count: Number(query('count') ?? 5), ms: Number(query('ms') ?? 10) };
}

function idOf(headers: http.IncomingHttpHeaders): string {
  return String(headers['x-test-id'] ?? 'none');
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => {
    const done = (): void => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (server.listening) done();
    else server.once('listening', done);
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startApp(framework: Framework, options: AppOptions = {}): Promise<RunningApp> {
  const recorder = createRecorder();
  const downstream = options.downstream ?? 'http://127.0.0.1:9';
  const register = options.registry === undefined ? {} : { register: options.registry };
  switch (framework) {
    case 'express': {
      const app = express();
      app.use(expressScope({ ...register }));
      app.get('/wait', async (req, res) => {
        await sleepAndRecord(recorder, idOf(req.headers), Number(req.query.ms ?? 1_000), req.scope);
        res.send('done');
      });
      app.get('/fast', async (req, res) => {
        const ms = Number(req.query.ms ?? 0);
        if (ms > 0) await req.scope!.sleep(ms);
        res.send('ok');
      });
      app.get('/proxy', async (req, res) => {
        res.send(await proxy(recorder, idOf(req.headers), downstream, req.scope));
      });
      app.post('/upload', async (req, res) => {
        const id = idOf(req.headers);
        let bytes: number;
        try {
          bytes = await readNodeBody(req);
        } catch (error) {
          recordCut(recorder, id, error, req.scope);
          throw error;
        }
        await afterUpload(recorder, id, bytes, req.scope);
        res.send(String(bytes));
      });
      app.get('/timeout', expressRouteTimeout(50), async (req, res) => {
        await sleepAndRecord(recorder, idOf(req.headers), 10_000, req.scope);
        res.send('late');
      });
      app.get('/ignore', expressRouteTimeout(50), async (_req, res) => {
        await ignoring();
        if (!res.headersSent) res.send('late');
      });
      app.get('/stream', (req, res) => {
        const { count, ms } = streamQuery((name) => req.query[name]);
        pipeline(Readable.from(ticks(recorder, idOf(req.headers), req.scope!, req.scope!, count, ms)), res, noop);
      });
      app.get('/stream-timeout', expressRouteTimeout(150), (req, res) => {
        pipeline(Readable.from(ticks(recorder, idOf(req.headers), req.scope!, req.scope!, 500, 20)), res, noop);
      });
      app.get('/boom', () => {
        throw new Error('boom');
      });
      app.get('/inner', async (_req, res) => {
        await innerTimeout();
        res.send('late');
      });
      app.use(cancelationErrors());
      app.use((error: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
        recorder.errors.set(idOf(req.headers), error);
        res.status(500).send(`handled: ${(error as Error).message}`);
      });
      const server = http.createServer(app);
      trackWrites(server, recorder);
      server.listen(0, '127.0.0.1');
      const origin = await listen(server);
      return { origin, server, recorder, close: () => closeServer(server) };
    }
    case 'fastify': {
      const app = Fastify();
      await app.register(cancelablePlugin, { ...register });
      app.removeContentTypeParser('application/octet-stream');
      // Stream bodies to the handler (it reads them in its scope).
      app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
      app.get<{ Querystring: { ms?: string } }>('/wait', async (request) => {
        await sleepAndRecord(recorder, idOf(request.headers), Number(request.query.ms ?? 1_000), request.scope);
        return 'done';
      });
      app.get<{ Querystring: { ms?: string } }>('/fast', async (request) => {
        const ms = Number(request.query.ms ?? 0);
        if (ms > 0) await request.scope!.sleep(ms);
        return 'ok';
      });
      app.get('/proxy', async (request) => proxy(recorder, idOf(request.headers), downstream, request.scope));
      app.post('/upload', async (request) => {
        const id = idOf(request.headers);
        let bytes: number;
        try {
          bytes = await readNodeBody(request.body as http.IncomingMessage);
        } catch (error) {
          recordCut(recorder, id, error, request.scope);
          throw error;
        }
        await afterUpload(recorder, id, bytes, request.scope);
        return String(bytes);
      });
      app.post('/upload-json', async (request) => {
        const id = idOf(request.headers);
        const bytes = JSON.stringify(request.body).length;
        await afterUpload(recorder, id, bytes, request.scope);
        return String(bytes);
      });
      app.get('/timeout', { config: { cancelable: { timeout: 50 } } }, async (request) => {
        await sleepAndRecord(recorder, idOf(request.headers), 10_000, request.scope);
        return 'late';
      });
      app.get('/ignore', { config: { cancelable: { timeout: 50 } } }, async () => {
        await ignoring();
        return 'late';
      });
      app.get('/stream', async (request, reply) => {
        const { count, ms } = streamQuery((name) => (request.query as Record<string, string>)[name]);
        return reply.send(Readable.from(ticks(recorder, idOf(request.headers), request.scope!, request.scope!, count, ms)));
      });
      app.get('/stream-timeout', { config: { cancelable: { timeout: 150 } } }, async (request, reply) =>
        reply.send(Readable.from(ticks(recorder, idOf(request.headers), request.scope!, request.scope!, 500, 20))),
      );
      app.get('/boom', () => {
        throw new Error('boom');
      });
      app.get('/inner', async () => {
        await innerTimeout();
        return 'late';
      });
      app.setErrorHandler((error: Error, request, reply) => {
        recorder.errors.set(idOf(request.headers), error);
        void reply.code(500).send(`handled: ${error.message}`);
      });
      trackWrites(app.server, recorder);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      return { origin, server: app.server, recorder, close: () => app.close() };
    }
    case 'hono': {
      const app = new Hono();
      app.use(honoScope({ ...register }));
      app.get('/wait', async (c) => {
        await sleepAndRecord(recorder, c.req.header('x-test-id') ?? 'none', Number(c.req.query('ms') ?? 1_000), c.var.scope);
        return c.text('done');
      });
      app.get('/fast', async (c) => {
        const ms = Number(c.req.query('ms') ?? 0);
        if (ms > 0) await c.var.scope.sleep(ms);
        return c.text('ok');
      });
      app.get('/proxy', async (c) => c.text(await proxy(recorder, c.req.header('x-test-id') ?? 'none', downstream, c.var.scope)));
      app.post('/upload', async (c) => {
        const id = c.req.header('x-test-id') ?? 'none';
        let bytes: number;
        try {
          bytes = (await Cancelable.current()!.race(c.req.arrayBuffer())).byteLength;
        } catch (error) {
          recordCut(recorder, id, error, c.var.scope);
          throw error;
        }
        await afterUpload(recorder, id, bytes, c.var.scope);
        return c.text(String(bytes));
      });
      app.get('/timeout', honoRouteTimeout(50), async (c) => {
        await sleepAndRecord(recorder, c.req.header('x-test-id') ?? 'none', 10_000, c.var.scope);
        return c.text('late');
      });
      app.get('/ignore', honoRouteTimeout(50), async (c) => {
        await ignoring();
        return c.text('late');
      });
      const honoStream = (c: HonoContext, count: number, ms: number): Response =>
        streamText(c, (stream) =>
          // A child of the request's scope: it keeps the request's scope (timeout, disconnect) until it ends.
          new Cancelable().run(async (child) => {
            for await (const line of ticks(recorder, c.req.header('x-test-id') ?? 'none', child, c.var.scope, count, ms)) await stream.write(line);
          }),
        );
      app.get('/stream', (c) => {
        const { count, ms } = streamQuery((name) => c.req.query(name));
        return honoStream(c, count, ms);
      });
      app.get('/stream-timeout', honoRouteTimeout(150), (c) => honoStream(c, 500, 20));
      app.get('/boom', () => {
        throw new Error('boom');
      });
      app.get('/inner', async (c) => {
        await innerTimeout();
        return c.text('late');
      });
      app.onError(
        honoErrors((error, c) => {
          recorder.errors.set(c.req.header('x-test-id') ?? 'none', error);
          return c.text(`handled: ${error.message}`, 500);
        }),
      );
      const server = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
      trackWrites(server, recorder);
      const origin = await listen(server);
      return { origin, server, recorder, close: () => closeServer(server) };
    }
    case 'koa': {
      const app = new Koa();
      app.silent = true;
      app.on('error', (error: unknown, ctx?: Koa.Context) => {
        if (ctx) recorder.errors.set(idOf(ctx.headers), error);
      });
      // The application's error handling: turns a thrown error into its own answer.
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          recorder.errors.set(idOf(ctx.headers), error);
          ctx.status = 500;
          ctx.body = `handled: ${(error as Error).message}`;
        }
      });
      app.use(koaScope({ ...register }));
      const timeout50 = koaRouteTimeout(50);
      const timeout150 = koaRouteTimeout(150);
      app.use(async (ctx, next) => {
        const id = idOf(ctx.headers);
        const path = ctx.path;
        if (path === '/wait') {
          await sleepAndRecord(recorder, id, Number(ctx.query.ms ?? 1_000), ctx.scope);
          ctx.body = 'done';
        } else if (path === '/fast') {
          const ms = Number(ctx.query.ms ?? 0);
          if (ms > 0) await ctx.scope!.sleep(ms);
          ctx.body = 'ok';
        } else if (path === '/proxy') {
          ctx.body = await proxy(recorder, id, downstream, ctx.scope);
        } else if (path === '/upload' && ctx.method === 'POST') {
          let bytes: number;
          try {
            bytes = await readNodeBody(ctx.req);
          } catch (error) {
            recordCut(recorder, id, error, ctx.scope);
            throw error;
          }
          await afterUpload(recorder, id, bytes, ctx.scope);
          ctx.body = String(bytes);
        } else if (path === '/timeout') {
          await timeout50(ctx, async () => {
            await sleepAndRecord(recorder, id, 10_000, ctx.scope);
            ctx.body = 'late';
          });
        } else if (path === '/ignore') {
          await timeout50(ctx, async () => {
            await ignoring();
            ctx.body = 'late';
          });
        } else if (path === '/stream') {
          const { count, ms } = streamQuery((name) => ctx.query[name]);
          ctx.body = Readable.from(ticks(recorder, id, ctx.scope!, ctx.scope!, count, ms));
        } else if (path === '/stream-timeout') {
          await timeout150(ctx, async () => {
            ctx.body = Readable.from(ticks(recorder, id, ctx.scope!, ctx.scope!, 500, 20));
          });
        } else if (path === '/boom') {
          throw new Error('boom');
        } else if (path === '/inner') {
          await innerTimeout();
          ctx.body = 'late';
        } else {
          await next();
        }
      });
      const callback = app.callback();
      const server = http.createServer((req, res) => void callback(req, res));
      trackWrites(server, recorder);
      server.listen(0, '127.0.0.1');
      const origin = await listen(server);
      return { origin, server, recorder, close: () => closeServer(server) };
    }
  }
}
