/**
 * 24 — Express: every request runs in its own scope (`cancelable-ts/express`). The handler's awaits and
 * its call to a slow upstream stop when the client disconnects; a route timeout answers 503; a
 * caller's deadline header (`grpc-timeout`) answers 504 when it runs out, and is passed on, shrunk,
 * to the upstream call.
 * Run: npx tsx examples/24-express.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Cancelable } from 'cancelable-ts';
import { cancelationErrors, requestScope, routeTimeout } from 'cancelable-ts/express';
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

const app = express();
app.use(requestScope({ timeout: 10_000 })); // every request: a scope, 10 s at most

app.get('/report', async (req, res) => {
  const scope = Cancelable.current()!; // the same object as req.scope
  try {
    // cancelable-ts/http's fetch: the scope's signal, and the caller's remaining budget downstream.
    const answer = await fetch(`${upstreamUrl}/work`);
    res.send(await answer.text());
  } catch (error) {
    console.log(`[app] ${scope.name} stopped: ${scope.cancelError?.reason ?? String(error)}`);
    throw error;
  }
});

app.get('/slow', routeTimeout(200), async (req, res) => {
  await req.scope!.sleep(5_000); // rejects at the route timeout: the client gets 503
  res.send('too late');
});

app.use(cancelationErrors()); // a request's own cancellation was answered already: stop here
app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(500).send(`failed: ${err.message}`);
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
