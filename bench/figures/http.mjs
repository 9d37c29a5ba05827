// HTTP request scopes against a bare handler (SPEC §9: a request scope costs under 5% of the
// throughput of a bare handler). One node:http server on 127.0.0.1, one undici client pool, in one
// process: each variant is a route on the same server (the same dispatch cost for all), measured in
// interleaved rounds of fixed duration; the best round of each variant is kept and the ratio taken.
import http from 'node:http';
import { Pool } from 'undici';
import { handleRequest, requestScope } from 'cancelable-ts/http';
import { quick, report } from '../lib.mjs';

const body = 'ok';
const routes = {
  '/bare': (req, res) => {
    res.end(body);
  },
  '/scope': (req, res) => {
    requestScope(req, res)
      .run(async () => {
        res.end(body);
      })
      .catch(() => {});
  },
  '/handle': (req, res) => {
    handleRequest(
      req,
      res,
      async () => {
        res.end(body);
      },
      { timeout: 30_000 },
    ).catch(() => {});
  },
};
const names = {
  '/bare': 'bare handler: res.end() (anchor)',
  '/scope': 'requestScope(req, res).run(handler)',
  '/handle': 'handleRequest(req, res, handler, { timeout: 30 s })',
};

const server = http.createServer((req, res) => routes[req.url](req, res));
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const pool = new Pool(origin, { connections: 8, pipelining: 1 });

/** Requests per second on `path` for `ms`, with `inFlight` requests kept going. */
async function throughput(path, ms, inFlight = 32) {
  let done = 0;
  const until = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < until) {
      const { body: stream } = await pool.request({ path, method: 'GET' });
      await stream.text();
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (done / (performance.now() - started)) * 1_000;
}

// Warm up every route (JIT, connections).
for (const path of Object.keys(routes)) await throughput(path, quick ? 300 : 2_000);

const rounds = quick ? 1 : 7;
const roundMs = quick ? 200 : 1_500;
const best = new Map();
const all = new Map(Object.keys(routes).map((path) => [path, []]));
for (let round = 0; round < rounds; round++) {
  // Rotate the order each round: whatever a round's position costs, every route pays it alike.
  const order = Object.keys(routes);
  for (let i = 0; i < round % order.length; i++) order.push(order.shift());
  for (const path of order) {
    const rps = await throughput(path, roundMs);
    all.get(path).push(rps);
    if (!best.has(path) || rps > best.get(path)) best.set(path, rps);
  }
}
await pool.close();
await new Promise((resolve) => server.close(resolve));

const rows = Object.keys(routes).map((path) => {
  const values = all.get(path);
  return {
    name: names[path],
    unit: 'req/s',
    median: best.get(path),
    min: Math.min(...values),
    max: Math.max(...values),
    note: 'best round; client and server in one process',
  };
});
const bare = best.get('/bare');
const scoped = best.get('/handle');
const overhead = (1 - scoped / bare) * 100;
report({
  figure: 'HTTP request scopes',
  rows: [
    ...rows,
    { name: 'throughput lost by handleRequest (timeout + deadline headers)', unit: '%', median: overhead },
    { name: 'throughput lost by requestScope().run()', unit: '%', median: (1 - best.get('/scope') / bare) * 100 },
  ],
  targets: [
    {
      target: 'request scope costs under 5% of a bare handler throughput',
      value: overhead,
      unit: '%',
      limit: 5,
      ok: overhead < 5,
      note: 'handleRequest with a route timeout, same-process ratio',
    },
  ],
});
