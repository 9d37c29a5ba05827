/**
 * 26 — Hono (any runtime; here on @hono/node-server): the `cancelable-ts/hono` middleware gives every
 * request its own scope, built on the web Request's signal. The handler's awaits and its call to a slow
 * upstream stop when the client disconnects; `routeTimeout(ms)` answers 503; a caller's deadline header
 * (`grpc-timeout`) answers 504 when it runs out, and is passed on, shrunk, to the upstream call.
 * Run: npx tsx examples/26-hono.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Cancelable } from 'cancelable-ts';
import { cancelationErrors, requestScope, routeTimeout } from 'cancelable-ts/hono';
import { fetch } from 'cancelable-ts/http';

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

const app = new Hono();
app.use(requestScope({ timeout: 10_000 })); // every request: a scope, 10 s at most
// Hono hands a handler's rejection to onError first: let the request's own cancellation skip it.
app.onError(cancelationErrors((err, c) => c.text(`failed: ${err.message}`, 500)));

app.get('/report', async (c) => {
  const scope = Cancelable.current()!; // the same object as c.var.scope
  try {
    // cancelable-ts/http's fetch: the scope's signal, and the caller's remaining budget downstream.
    const answer = await fetch(`${upstreamUrl}/work`);
    return c.text(await answer.text());
  } catch (error) {
    console.log(`[app] ${scope.name} stopped: ${scope.cancelError?.reason ?? String(error)}`);
    throw error;
  }
});

app.get('/slow', routeTimeout(200), async (c) => {
  await c.var.scope.sleep(5_000); // rejects at the route timeout: the client gets 503
  return c.text('too late');
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
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
