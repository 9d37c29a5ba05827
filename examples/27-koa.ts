/**
 * 27 — Koa: the `cancelable-ts/koa` middleware gives every request its own scope (`ctx.scope`). The
 * downstream middleware's awaits and its call to a slow upstream stop when the client disconnects;
 * `routeTimeout(ms)` answers 503; a caller's deadline header (`grpc-timeout`) answers 504 when it runs
 * out, and is passed on, shrunk, to the upstream call.
 * Run: npx tsx examples/27-koa.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { Cancelable } from 'cancelable-ts';
import { fetch } from 'cancelable-ts/http';
import { requestScope, routeTimeout } from 'cancelable-ts/koa';

// A slow upstream service (an LLM, a search backend...): answers after 2 s.
let upstreamLeft = (): void => {};
const upstream = http.createServer((req, res) => {
  console.log(`[upstream] called with grpc-timeout: ${String(req.headers['grpc-timeout'] ?? 'none')}`);
  const timer = setTimeout(() => res.end('upstream answer'), 2_000);
  res.on('close', () => {
    clearTimeout(timer);
    if (!res.writableEnded) {
      console.log('[upstream] the caller went away: work stopped');
      upstreamLeft();
    }
  });
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

const app = new Koa();
app.use(requestScope({ timeout: 10_000 })); // every request: a scope, 10 s at most

const slowRoute = routeTimeout(200);
app.use(async (ctx, next) => {
  if (ctx.path !== '/slow') return next();
  await slowRoute(ctx, async () => {
    await ctx.scope!.sleep(5_000); // rejects at the route timeout: the client gets 503
    ctx.body = 'too late';
  });
});

app.use(async (ctx) => {
  const scope = Cancelable.current()!; // the same object as ctx.scope
  try {
    // cancelable-ts/http's fetch: the scope's signal, and the caller's remaining budget downstream.
    const answer = await fetch(`${upstreamUrl}/work`);
    ctx.body = await answer.text();
  } catch (error) {
    console.log(`[app] ${scope.name} stopped: ${scope.cancelError?.reason ?? String(error)}`);
    throw error;
  }
});

const server = app.listen(0, '127.0.0.1');
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const slow = await globalThis.fetch(`${origin}/slow`);
console.log(`GET /slow -> ${slow.status} ${(await slow.text()).trim()}`);

const late = await globalThis.fetch(`${origin}/report`, { headers: { 'grpc-timeout': '300m' } });
console.log(`GET /report with grpc-timeout: 300m -> ${late.status} ${(await late.text()).trim()}`);

// A client that leaves after 100 ms: the handler's upstream call is stopped at once.
await new Promise((resolve) => setTimeout(resolve, 100)); // (let the previous upstream call's close land)
const upstreamGone = new Promise<void>((resolve) => (upstreamLeft = resolve));
const client = http.get(`${origin}/report`);
client.on('error', () => {});
setTimeout(() => client.destroy(), 100);
await upstreamGone;

await new Promise((resolve) => setTimeout(resolve, 50));
server.closeAllConnections();
upstream.closeAllConnections();
await Promise.all([new Promise((resolve) => server.close(resolve)), new Promise((resolve) => upstream.close(resolve))]);
console.log('servers closed');
