/**
 * 23 — An LLM proxy: an HTTP endpoint that streams an upstream model's SSE answer to its client, and
 * stops the upstream call (so the model stops generating, and billing) when the client leaves or a
 * Stop request arrives. Everything runs on 127.0.0.1: a fake upstream model, the proxy, and three
 * clients — one that leaves, one that presses Stop, one that reads the whole answer.
 * Run: npx tsx examples/23-llm-proxy.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OperationRegistry } from 'cancelable-ts';
import { fetch, handleRequest, sse } from 'cancelable-ts/http';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const listen = async (server: http.Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

// ---- the fake upstream model: one SSE token every 20 ms, `?tokens=N` of them -----------------------
const upstreamStopped: Promise<string>[] = [];
const upstream = http.createServer((req, res) => {
  const total = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('tokens') ?? 200);
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let sent = 0;
  const timer = setInterval(() => {
    if (sent === total) {
      clearInterval(timer);
      res.end('data: [DONE]\n\n');
      return;
    }
    res.write(`data: ${JSON.stringify({ token: `w${++sent} ` })}\n\n`);
  }, 20);
  upstreamStopped.push(
    new Promise((resolve) =>
      res.on('close', () => {
        clearInterval(timer);
        resolve(res.writableEnded ? `upstream: answer complete (${sent} tokens)` : `upstream: caller hung up after ${sent} tokens, generation stopped`);
      }),
    ),
  );
});
const upstreamUrl = await listen(upstream);

/** The upstream's tokens, parsed from its SSE body (the `fetch` is the scope's: it stops with it). */
async function* tokens(prompt: string, count: number): AsyncGenerator<string> {
  const response = await fetch(`${upstreamUrl}/v1/chat?tokens=${count}`, { method: 'POST', body: prompt });
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body!) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const data = buffered.slice(0, end).replace(/^data: /, '');
      buffered = buffered.slice(end + 2);
      if (data === '[DONE]') return;
      yield (JSON.parse(data) as { token: string }).token;
    }
  }
}

// ---- the proxy: GET /chat streams; POST /stop/<id> stops a stream by id ----------------------------
const registry = new OperationRegistry();
let nextId = 0;
const proxy = http.createServer((req, res) => {
  const stop = /^\/stop\/(chat-\d+)$/.exec(req.url ?? '');
  if (stop && req.method === 'POST') {
    const live = registry.list({ name: new RegExp(`^${stop[1]}$`) });
    for (const operation of live) registry.cancel(operation.id, 'Stopped by the user');
    res.writeHead(live.length > 0 ? 202 : 404).end();
    return;
  }
  const count = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('tokens') ?? 200);
  const id = `chat-${++nextId}`;
  res.setHeader('x-chat-id', id);
  // The request scope is named by the chat id, so POST /stop/<id> finds it in the registry.
  handleRequest(req, res, () => sse(res, tokens('Tell me a story', count)), { timeout: 30_000, register: registry, name: id }).catch(
    (error: unknown) => {
      // A real failure (the upstream is down...): the app's own error handling.
      if (!res.headersSent) res.writeHead(502).end(String(error));
    },
  );
});
const proxyUrl = await listen(proxy);
console.log(`upstream model on ${upstreamUrl}, proxy on ${proxyUrl}`);

/** A client reading the proxy's stream; `onToken` may stop early by returning 'leave'. */
function client(path: string, onToken: (n: number, id: string) => 'leave' | void): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(`${proxyUrl}${path}`, (res) => {
      const id = String(res.headers['x-chat-id']);
      let text = '';
      let n = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const _ of chunk.matchAll(/^data: w\d+/gm)) {
          if (onToken(++n, id) === 'leave') {
            req.destroy();
            resolve(`client left after ${n} tokens`);
            return;
          }
        }
      });
      res.on('end', () => {
        const final = /event: cancelled\ndata: (.*)\n/.exec(text);
        resolve(final ? `client got ${n} tokens, then event: cancelled ${final[1]}` : `client got the whole answer: ${n} tokens`);
      });
    });
    req.on('error', () => undefined);
  });
}

// 1. The client leaves mid-answer: the proxy's request scope is cancelled (disconnect), its fetch is
//    aborted, and the upstream sees its caller hang up.
console.log(`1. ${await client('/chat', (n) => (n === 5 ? 'leave' : undefined))}`);
console.log(`   ${await upstreamStopped[0]}`);

// 2. The user presses Stop (another request, by id): the stream ends with a final event, and the
//    upstream call stops the same way.
console.log(
  `2. ${await client('/chat', (n, id) => {
    if (n === 3) void globalThis.fetch(`${proxyUrl}/stop/${id}`, { method: 'POST' });
  })}`,
);
console.log(`   ${await upstreamStopped[1]}`);

// 3. A short answer read to the end.
console.log(`3. ${await client('/chat?tokens=4', () => undefined)}`);
console.log(`   ${await upstreamStopped[2]}`);

await sleep(10);
console.log(`live operations left: ${registry.list().length}`);
proxy.close();
upstream.close();
