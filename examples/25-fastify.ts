/**
 * 25 — Fastify: the `cancelable-ts/fastify` plugin gives every request its own scope. The handler's
 * awaits and its call to a slow upstream stop when the client disconnects; a route's
 * `config.cancelable.timeout` answers 503; a caller's deadline header (`grpc-timeout`) answers 504 when
 * it runs out, and is passed on, shrunk, to the upstream call.
 * Run: npx tsx examples/25-fastify.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Cancelable } from 'cancelable-ts';
import { cancelablePlugin } from 'cancelable-ts/fastify';
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

const app = Fastify();
await app.register(cancelablePlugin, { timeout: 10_000 }); // every request: a scope, 10 s at most

app.get('/report', async () => {
  const scope = Cancelable.current()!; // the same object as request.scope
  try {
    // cancelable-ts/http's fetch: the scope's signal, and the caller's remaining budget downstream.
    const answer = await fetch(`${upstreamUrl}/work`);
    return await answer.text();
  } catch (error) {
    console.log(`[app] ${scope.name} stopped: ${scope.cancelError?.reason ?? String(error)}`);
    throw error;
  }
});

app.get('/slow', { config: { cancelable: { timeout: 200 } } }, async (request) => {
  await request.scope!.sleep(5_000); // rejects at the route timeout: the client gets 503
  return 'too late';
});

await app.listen({ port: 0, host: '127.0.0.1' });
const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

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
upstream.closeAllConnections();
await Promise.all([app.close(), new Promise((resolve) => upstream.close(resolve))]);
console.log('servers closed');
