// What a framework adapter costs a request: for Express, Fastify, Hono (@hono/node-server) and Koa,
// the throughput of the same trivial handler with and without the adapter (a request scope per
// request: disconnect watch, deadline headers read, Cancelable.current() in the handler), on loopback,
// with a keep-alive client of our own in this process (both variants pay the same client; the
// server's own share of the CPU is about half, so the server-side overhead is about twice the drop
// shown). Each framework also runs a floor: a middleware that only runs the rest of the request in an
// AsyncLocalStorage context (what any request scope that is the handler's `Cancelable.current()` must
// do at the least). All twelve servers run at once; variants alternate, round after round; each keeps
// its best. Target (SPEC §9 for request scopes, applied to each adapter): the adapter keeps >= 95% of
// the bare handler's throughput.
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import { serve as serveHono } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { requestScope as expressScope } from 'cancelable-ts/express';
import { cancelablePlugin } from 'cancelable-ts/fastify';
import { requestScope as honoScope } from 'cancelable-ts/hono';
import { requestScope as koaScope } from 'cancelable-ts/koa';
import { quick, report } from '../lib.mjs';

const REQUESTS = quick ? 300 : 5_000;
const CONCURRENCY = 16;
const ROUNDS = quick ? 1 : 5;

function listening(server) {
  return new Promise((resolve) => {
    const done = () => resolve(`http://127.0.0.1:${server.address().port}`);
    if (server.listening) done();
    else server.once('listening', done);
  });
}

// The floor's context: one more AsyncLocalStorage (the library's own is on from the first scope).
const floorContext = new AsyncLocalStorage();

/** `variant`: 'bare', 'floor' (an AsyncLocalStorage middleware only) or 'adapter'. */
async function start(framework, variant) {
  const withAdapter = variant === 'adapter';
  const floor = variant === 'floor';
  switch (framework) {
    case 'express': {
      const app = express();
      if (withAdapter) app.use(expressScope());
      if (floor) app.use((req, _res, next) => floorContext.run(req, next));
      app.get('/', (_req, res) => res.send('ok'));
      const server = http.createServer(app).listen(0, '127.0.0.1');
      return { origin: await listening(server), close: () => new Promise((r) => server.close(r)) };
    }
    case 'fastify': {
      const app = Fastify();
      if (withAdapter) await app.register(cancelablePlugin);
      if (floor) app.addHook('onRequest', (request, _reply, done) => floorContext.run(request, done));
      app.get('/', async () => 'ok');
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { origin: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
    }
    case 'hono': {
      const app = new Hono();
      if (withAdapter) app.use(honoScope());
      if (floor) app.use((c, next) => floorContext.run(c, next));
      app.get('/', (c) => c.text('ok'));
      const server = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
      return { origin: await listening(server), close: () => new Promise((r) => server.close(r)) };
    }
    case 'koa': {
      const app = new Koa();
      if (withAdapter) app.use(koaScope());
      if (floor) app.use((ctx, next) => floorContext.run(ctx, next));
      app.use((ctx) => {
        ctx.body = 'ok';
      });
      const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
      return { origin: await listening(server), close: () => new Promise((r) => server.close(r)) };
    }
  }
  throw new Error(framework);
}

function get(origin, agent) {
  return new Promise((resolve, reject) => {
    http
      .get(origin, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}

/** Requests per second for REQUESTS requests at CONCURRENCY. */
async function throughput(origin) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  for (let i = 0; i < CONCURRENCY * 4; i++) await get(origin, agent); // warm the connections and the JIT
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < REQUESTS) {
        issued++;
        await get(origin, agent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return REQUESTS / seconds;
}

const frameworks = ['express', 'fastify', 'hono', 'koa'];
// Every server up front (12 of them), then the variants measured in alternation, round after round.
const variants = { bare: 'bare', floor: 'floor (an AsyncLocalStorage middleware only)', adapter: 'with the adapter' };
const servers = new Map();
for (const framework of frameworks) {
  for (const [variant, label] of Object.entries(variants)) servers.set(`${framework} ${label}`, await start(framework, variant));
}
const best = new Map();
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [key, server] of servers) best.set(key, Math.max(best.get(key) ?? 0, await throughput(server.origin)));
  }
} finally {
  for (const server of servers.values()) await server.close();
}

const rows = [];
const targets = [];
for (const framework of frameworks) {
  const bare = best.get(`${framework} bare`);
  const adapted = best.get(`${framework} with the adapter`);
  const floorRps = best.get(`${framework} ${variants.floor}`);
  const ratio = adapted / bare;
  rows.push({ name: `${framework}: bare handler (anchor)`, unit: 'req/s', median: bare });
  rows.push({
    name: `${framework}: floor, a middleware that only runs the request in an AsyncLocalStorage context`,
    unit: 'req/s',
    median: floorRps,
    note: `${((floorRps / bare) * 100).toFixed(1)}% of bare`,
  });
  rows.push({ name: `${framework}: with cancelable-ts/${framework}`, unit: 'req/s', median: adapted, note: `${(ratio * 100).toFixed(1)}% of bare` });
  targets.push({
    target: `${framework} adapter keeps >= 95% of a bare handler's throughput`,
    value: ratio * 100,
    unit: '%',
    limit: 95,
    ok: ratio >= 0.95,
  });
}
report({ figure: 'HTTP framework adapters', rows, targets });
