/**
 * The adapters over HTTP/2 (cleartext, real `node:http2` client sessions on 127.0.0.1): Fastify with
 * `http2: true` and Koa on `http2.createServer`. A stream the client cancels (RST_STREAM) cancels the
 * handler with reason `disconnect`; a completed request is not cancelled; a route timeout answers 503
 * (no connection-specific header, which HTTP/2 forbids).
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { Cancelable } from '../../src/cancelable.js';
import { cancelablePlugin } from '../../src/fastify/index.js';
import { requestScope as koaScope } from '../../src/koa/index.js';
import { until } from './clients.js';

interface Served {
  origin: string;
  outcomes: Map<string, string>;
  close(): Promise<void>;
}

async function sleepRecorded(outcomes: Map<string, string>, id: string, ms: number): Promise<void> {
  try {
    await Cancelable.current()!.sleep(ms);
    outcomes.set(id, 'completed');
  } catch (error) {
    outcomes.set(id, (error as { reason?: string }).reason ?? String(error));
    throw error;
  }
}

async function fastifyH2(): Promise<Served> {
  const outcomes = new Map<string, string>();
  const app = Fastify({ http2: true });
  await app.register(cancelablePlugin);
  app.get<{ Querystring: { id: string; ms: string } }>('/wait', async (request) => {
    await sleepRecorded(outcomes, request.query.id, Number(request.query.ms));
    return 'done';
  });
  app.get<{ Querystring: { id: string } }>('/timeout', { config: { cancelable: { timeout: 40 } } }, async (request) => {
    await sleepRecorded(outcomes, request.query.id, 10_000);
    return 'late';
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, outcomes, close: () => app.close() };
}

async function koaH2(): Promise<Served> {
  const outcomes = new Map<string, string>();
  const app = new Koa();
  app.use(koaScope());
  app.use(async (ctx) => {
    const id = String(ctx.query.id);
    if (ctx.path === '/timeout') {
      const timed = koaScope({ timeout: 40 });
      await timed(ctx, async () => {
        await sleepRecorded(outcomes, id, 10_000);
      });
      return;
    }
    await sleepRecorded(outcomes, id, Number(ctx.query.ms));
    ctx.body = 'done';
  });
  const callback = app.callback();
  const server = http2.createServer((req, res) => void callback(req as never, res as never));
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    outcomes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function get(session: http2.ClientHttp2Session, path: string): { stream: http2.ClientHttp2Stream; done: Promise<{ status: number; body: string; headers: http2.IncomingHttpHeaders }> } {
  const stream = session.request({ ':path': path });
  const done = new Promise<{ status: number; body: string; headers: http2.IncomingHttpHeaders }>((resolve, reject) => {
    let headers: http2.IncomingHttpHeaders = {};
    let body = '';
    stream.on('response', (h) => (headers = h));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => resolve({ status: Number(headers[':status']), body, headers }));
    stream.on('error', reject);
  });
  return { stream, done };
}

let served: Served | undefined;
let session: http2.ClientHttp2Session | undefined;
afterEach(async () => {
  session?.close();
  session = undefined;
  await served?.close();
  served = undefined;
});

describe.each([
  ['fastify', fastifyH2],
  ['koa', koaH2],
] as const)('%s over HTTP/2', (_name, start) => {
  it('a cancelled stream cancels the handler (disconnect); a completed one is not cancelled; a route timeout is 503', async () => {
    served = await start();
    session = http2.connect(served.origin);
    const ok = get(session, '/wait?id=ok&ms=20');
    expect(await ok.done).toMatchObject({ status: 200, body: 'done' });
    expect(served.outcomes.get('ok')).toBe('completed');

    const cut = get(session, '/wait?id=cut&ms=10000');
    cut.done.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    cut.stream.close(http2.constants.NGHTTP2_CANCEL);
    await until(() => served!.outcomes.has('cut'), 5_000, 'the handler to see the cancel');
    expect(served.outcomes.get('cut')).toBe('disconnect');

    const timed = get(session, '/timeout?id=timed');
    const answer = await timed.done;
    expect(answer.status).toBe(503);
    expect(answer.headers.connection).toBeUndefined();
    expect(served.outcomes.get('timed')).toBe('timeout');
  });
});
