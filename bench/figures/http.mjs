// HTTP request scopes against a bare handler (SPEC §9: a request scope costs under 5% of the
// throughput of a bare handler). One node:http server on 127.0.0.1, one undici client pool, in one
// process: each variant is a route on the same server (the same dispatch cost for all), measured in
// interleaved rounds of fixed duration; the best round of each variant is kept and the ratio taken.
import http from 'node:http';
import { Pool } from 'undici';
import { handleRequest, requestScope } from 'cancelable-ts/http';
import { libraryStorage } from '../baselines.mjs';
import { median, quick, report } from '../lib.mjs';

const body = 'ok';
// The floor: what any request scope that is the handler's `Cancelable.current()` does at the least,
// the handler run as an async function inside an AsyncLocalStorage context (the library's own: a second
// storage would make every promise of the process propagate two stores, routes and client alike).
const floorContext = libraryStorage();
const routes = {
  '/bare': (req, res) => {
    res.end(body);
  },
  '/floor': (req, res) => {
    floorContext
      .run(req, async () => {
        res.end(body);
      })
      .catch(() => {});
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
  '/floor': 'floor: the async handler inside an AsyncLocalStorage context',
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

const rounds = quick ? 1 : 15;
const roundMs = quick ? 200 : 500;
const all = new Map(Object.keys(routes).map((path) => [path, []]));
for (let round = 0; round < rounds; round++) {
  // Rotate the order each round: whatever a round's position costs, every route pays it alike.
  const order = Object.keys(routes);
  for (let i = 0; i < round % order.length; i++) order.push(order.shift());
  for (const path of order) all.get(path).push(await throughput(path, roundMs));
}
await pool.close();
await new Promise((resolve) => server.close(resolve));

// SPEC §9: each ratio is taken within one round (the routes of a round share the machine's state),
// then the median over the rounds.
const lost = (path) => median(all.get(path).map((rps, round) => (1 - rps / all.get('/bare')[round]) * 100));
const rows = Object.keys(routes).map((path) => ({
  name: names[path],
  unit: 'req/s',
  median: median(all.get(path)),
  min: Math.min(...all.get(path)),
  max: Math.max(...all.get(path)),
  note: `${rounds} interleaved rounds of ${roundMs} ms; client and server in one process`,
}));
const overhead = lost('/handle');
report({
  figure: 'HTTP request scopes',
  rows: [
    ...rows,
    { name: 'throughput lost by handleRequest (route timeout, deadline headers)', unit: '%', median: overhead, note: 'median of per-round ratios' },
    { name: 'throughput lost by requestScope().run()', unit: '%', median: lost('/scope'), note: 'median of per-round ratios' },
    { name: 'throughput lost by the floor (async handler in an AsyncLocalStorage context)', unit: '%', median: lost('/floor'), note: 'median of per-round ratios' },
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
