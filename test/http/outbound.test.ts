// Outbound deadline propagation (SPEC §10): fetch and the undici interceptor carry the scope's signal
// and remaining budget; a chain of three local services shrinks the budget and the last fails fast.
import type http from 'node:http';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Cancelable, TimeoutCancelation } from '../../src/index.js';
import { createFetch, deadlineInterceptor, fetch, handleRequest, parseGrpcTimeout, remainingBudget } from '../../src/http/index.js';
import { deferred, get, listen, type Started } from './helpers.js';

const servers: Started<unknown>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(handler: http.RequestListener): Promise<Started<http.Server>> {
  const started = await listen(handler);
  servers.push(started);
  return started;
}

/** A downstream that records the headers of each request and answers 200. */
async function recorder(): Promise<Started<http.Server> & { seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const started = await serve((req, res) => {
    seen.push(req.headers);
    res.end('ok');
  });
  return Object.assign(started, { seen });
}

describe('fetch in a scope', () => {
  it('outside any scope it is the plain fetch: no header, no signal', async () => {
    const down = await recorder();
    expect(await (await fetch(down.url)).text()).toBe('ok');
    expect(down.seen[0]!['connect-timeout-ms']).toBeUndefined();
    expect(remainingBudget()).toBe(Infinity);
  });

  it('sends the remaining budget minus the margin; keeps a header the caller set', async () => {
    const down = await recorder();
    await Cancelable.withTimeout(5_000).run(async () => {
      await fetch(down.url);
      await fetch(down.url, { headers: { 'connect-timeout-ms': '42' } });
      await createFetch({ header: 'grpc-timeout', marginMs: 1_000 })(down.url);
      await createFetch({ header: 'prefer' })(down.url, { headers: { prefer: 'respond-async' } });
    });
    const sent = Number(down.seen[0]!['connect-timeout-ms']);
    expect(sent).toBeGreaterThan(4_000);
    expect(sent).toBeLessThanOrEqual(4_990);
    expect(down.seen[1]!['connect-timeout-ms']).toBe('42');
    expect(parseGrpcTimeout(String(down.seen[2]!['grpc-timeout']))).toBeLessThanOrEqual(4_000);
    expect(down.seen[3]!.prefer).toMatch(/^respond-async, wait=4$/);
  });

  it('fails fast, without a network call, when the budget is gone or the scope cancelled', async () => {
    const down = await recorder();
    const error = await Cancelable.withTimeout(5_000)
      .run(() => createFetch({ minBudgetMs: 10_000 })(down.url))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as Error).message).toMatch(/Not enough time left for the call/);
    const cancelled = await new Cancelable()
      .run((scope) => {
        scope.cancel('stop');
        return fetch(down.url);
      })
      .catch((e: unknown) => e);
    expect((cancelled as Error).message).toBe('stop');
    expect(down.seen).toHaveLength(0);
  });

  it('the scope aborts the call, combined with the caller own signal', async () => {
    const closed = deferred<boolean>();
    const arrived = deferred();
    const down = await serve((_req, res) => {
      arrived.resolve();
      res.on('close', () => closed.resolve(res.writableEnded));
    });
    const mine = new AbortController();
    const run = new Cancelable().run(async (scope) => {
      void arrived.promise.then(() => scope.cancel('user left'));
      await fetch(down.url, { signal: mine.signal });
    });
    await expect(run).rejects.toThrow('user left');
    expect(await closed.promise).toBe(false);
  });
});

describe('a chain of three local services', () => {
  it('the budget shrinks at each hop, in the family the caller spoke; the last fails fast with 504', async () => {
    const last = await recorder();
    const received: Record<string, string | undefined> = {};
    const hop = (name: string, next: string, options: { minBudgetMs?: number } = {}) =>
      serve((req, res) => {
        received[name] = req.headers['grpc-timeout'] as string | undefined;
        void handleRequest(req, res, async (scope) => {
          await scope.sleep(80);
          const answer = await createFetch(options)(next);
          res.writeHead(answer.status).end(await answer.text());
        });
      });
    const c = await hop('c', last.url, { minBudgetMs: 150 });
    const b = await hop('b', c.url);
    const a = await hop('a', b.url);
    const reply = await get(a.url, { headers: { 'grpc-timeout': '400m' } });
    expect(reply.status).toBe(504);
    expect(reply.text).toBe('Deadline exceeded\n');
    const [ma, mb, mc] = [received.a, received.b, received.c].map((v) => parseGrpcTimeout(v!)!);
    expect(ma).toBe(400);
    expect(mb).toBeLessThanOrEqual(400 - 80 - 10);
    expect(mc).toBeLessThanOrEqual(mb! - 80 - 10);
    expect(mc).toBeGreaterThan(0);
    expect(last.seen).toHaveLength(0); // the last hop never called out
  });
});

describe('undici interceptor', () => {
  it('sends the budget, aborts on cancellation, fails fast without a connection', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const closed = deferred<boolean>();
    const down = await serve((req, res) => {
      seen.push(req.headers);
      if (req.url === '/hang') {
        res.on('close', () => closed.resolve(res.writableEnded));
        return;
      }
      res.end('ok');
    });
    const agent = new Agent();
    const dispatcher = agent.compose(deadlineInterceptor({ header: 'x-envoy-expected-rq-timeout-ms', marginMs: 0 }));
    try {
      await Cancelable.withTimeout(3_000).run(async () => {
        const { body } = await request(down.url, { dispatcher, headers: { 'x-other': '1' } });
        expect(await body.text()).toBe('ok');
      });
      const sent = Number(seen[0]!['x-envoy-expected-rq-timeout-ms']);
      expect(sent).toBeGreaterThan(2_000);
      expect(sent).toBeLessThanOrEqual(3_000);
      expect(seen[0]!['x-other']).toBe('1');

      const hung = new Cancelable().run(async (scope) => {
        setTimeout(() => scope.cancel('gone'), 50);
        await request(`${down.url}/hang`, { dispatcher });
      });
      await expect(hung).rejects.toThrow('gone');
      expect(await closed.promise).toBe(false);

      const fresh = await recorder();
      let freshConnections = 0;
      fresh.server.on('connection', () => freshConnections++);
      const noBudget = await Cancelable.withTimeout(2_000)
        .run(() => request(fresh.url, { dispatcher: agent.compose(deadlineInterceptor({ minBudgetMs: 5_000 })) }))
        .catch((e: unknown) => e);
      expect(noBudget).toBeInstanceOf(TimeoutCancelation);
      expect(freshConnections).toBe(0);
      expect(fresh.seen).toHaveLength(0);
    } finally {
      await agent.close();
    }
  });
});
