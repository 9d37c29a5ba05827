import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { fetch, handleRequest, sse, sseResponse } from 'cancelable-ts/http';
import { requestScope } from 'cancelable-ts/hono';
import type { Step } from '../step.js';
import { dim, ok, say } from '../ui.js';

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An endless event source: one tick every 20 ms. */
async function* ticks(): AsyncGenerator<{ tick: number }> {
  for (let tick = 1; ; tick++) {
    yield { tick };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const step: Step = {
  title: 'An HTTP client leaves: the upstream call stops',
  pitch:
    'A proxy streams an upstream model\'s answer (SSE) to its client; the client hangs up after 5 tokens, ' +
    'so the request scope is cancelled (reason "disconnect") and the upstream fetch is aborted. Then a Hono ' +
    'route streams events as a web Response: its 150 ms route timeout ends the stream with a final notice.',
  async run() {
    // The fake upstream model: one SSE token every 20 ms, and a note of how its response ended.
    let upstreamEnded: (note: string) => void = () => undefined;
    const upstreamNote = new Promise<string>((resolve) => (upstreamEnded = resolve));
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      const timer = setInterval(() => res.write(`data: w${++sent}\n\n`), 20);
      res.on('close', () => {
        clearInterval(timer);
        upstreamEnded(res.writableEnded ? 'the upstream finished its answer' : `the upstream saw its caller hang up after ${sent} tokens`);
      });
    });
    const upstreamUrl = await listen(upstream);

    // The proxy: a scope per request; the upstream fetch runs in it (cancelable-ts/http's fetch).
    let proxyOutcome: (note: string) => void = () => undefined;
    const proxyNote = new Promise<string>((resolve) => (proxyOutcome = resolve));
    async function* tokens(): AsyncGenerator<string> {
      const response = await fetch(upstreamUrl);
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) yield decoder.decode(chunk, { stream: true });
    }
    const proxy = http.createServer((req, res) => {
      let scopeNote = '';
      handleRequest(
        req,
        res,
        async (scope) => {
          try {
            await sse(res, tokens());
          } finally {
            scopeNote = scope.isCancelled ? `the request scope was cancelled (${scope.cancelError?.reason ?? '?'}); nothing more written` : 'the answer completed';
          }
        },
        { timeout: 10_000, name: 'chat' },
      ).then(
        () => proxyOutcome(scopeNote),
        (error: unknown) => proxyOutcome(`failed: ${String(error)}`),
      );
    });
    const proxyUrl = await listen(proxy);

    try {
      // The client reads 5 tokens, then hangs up.
      const received = await new Promise<number>((resolve) => {
        const req = http.get(proxyUrl, (res) => {
          let count = 0;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            count += (chunk.match(/w\d+/g) ?? []).length;
            if (count >= 5) {
              req.destroy();
              resolve(count);
            }
          });
        });
        req.on('error', () => undefined);
      });
      say(`client: read ${received} tokens, then closed the connection`);
      say(dim(`proxy: ${await proxyNote}`));
      ok(await upstreamNote);
    } finally {
      await Promise.all([close(proxy), close(upstream)]);
    }

    // Hono, any runtime (here in-process: app.request, only the web Request): an event stream built by
    // sseResponse() outlives the handler; the request's scope, and its route timeout, last until it ends.
    const app = new Hono();
    app.use(requestScope({ timeout: 150 }));
    app.get('/events', () => sseResponse(ticks()));
    const events = (await (await app.request('/events')).text()).trimEnd().split('\n\n');
    say(`hono: the client got ${events.length - 1} events, then:`);
    ok(events.at(-1)!.replace('\n', ' '));
  },
};
