// requestScope / handleRequest on real servers and clients (SPEC §10): disconnect rules for HTTP/1.1,
// HTTP/2 and web Requests, the status mapping, detachment, listener hygiene.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cancelable, DisconnectCancelation, SignalCancelation, type TimeoutCancelation } from '../../src/index.js';
import { handleRequest, requestInfo, type HandleRequestOptions, requestScope, statusFor, type NodeRequest, type NodeResponse } from '../../src/http/index.js';
import { deferred, delay, get, listen, listen2, requestThenAbort, type Started } from './helpers.js';

const servers: Started<unknown>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(handler: http.RequestListener): Promise<Started<http.Server>> {
  const started = await listen(handler);
  servers.push(started);
  return started;
}

describe('requestScope: disconnect (HTTP/1.1)', () => {
  it('a client that leaves mid-handler cancels its awaits within a few ms, and the downstream fetch is aborted', async () => {
    const downstreamClosed = deferred<boolean>();
    const downstreamGotRequest = deferred();
    const downstream = await serve((_req, res) => {
      downstreamGotRequest.resolve();
      res.on('close', () => downstreamClosed.resolve(res.writableEnded));
    });
    const outcome = deferred<{ error: unknown; at: number }>();
    const front = await serve((req, res) => {
      requestScope(req, res)
        .run(async (scope) => {
          expect(Cancelable.current()).toBe(scope);
          await fetch(downstream.url, { signal: scope.signal });
        })
        .catch((error: unknown) => outcome.resolve({ error, at: performance.now() }));
    });
    let goneAt = 0;
    await requestThenAbort(
      front.url,
      downstreamGotRequest.promise.then(() => (goneAt = performance.now())),
    );
    const { error, at } = await outcome.promise;
    const afterMs = at - goneAt;
    expect(error).toBeInstanceOf(DisconnectCancelation);
    expect((error as DisconnectCancelation).reason).toBe('disconnect');
    expect(afterMs).toBeLessThan(250); // real sockets: a generous bound for "within a few ms"
    expect(await downstreamClosed.promise).toBe(false); // downstream saw its socket close before it answered
  });

  it('a POST whose body was fully read is not cancelled', async () => {
    const result = deferred<{ cancelled: boolean; body: string }>();
    const front = await serve((req, res) => {
      void requestScope(req, res).run(async (scope) => {
        let body = '';
        for await (const chunk of req) body += String(chunk);
        await scope.sleep(50); // the request's 'close' has fired by now: must not cancel
        res.end(`got ${body.length}`);
        result.resolve({ cancelled: scope.isCancelled, body });
      });
    });
    const reply = await get(front.url, { method: 'POST', body: 'x'.repeat(10_000) });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('got 10000');
    expect((await result.promise).cancelled).toBe(false);
  });

  it('a POST cut mid-body is cancelled with reason disconnect', async () => {
    const outcome = deferred<unknown>();
    const firstChunk = deferred();
    const front = await serve((req, res) => {
      requestScope(req, res)
        .run(async (scope) => {
          req.once('data', () => firstChunk.resolve());
          req.resume();
          await scope.sleep(10_000);
        })
        .catch((error: unknown) => outcome.resolve(error));
    });
    await requestThenAbort(front.url, firstChunk.promise, {
      method: 'POST',
      headers: { 'content-length': '100000' },
      body: 'x'.repeat(100),
      endBody: false,
    });
    expect(await outcome.promise).toBeInstanceOf(DisconnectCancelation);
  });

  it('removes its listeners when the response ends, and the scope ends completed', async () => {
    const counts = deferred<{ before: number[]; after: number[]; status: string }>();
    const front = await serve((req, res) => {
      const before = [req.listenerCount('close'), res.listenerCount('close')];
      const scope = requestScope(req, res);
      void scope.run(async () => {
        res.end('ok');
        await new Promise((resolve) => res.once('close', resolve));
      }).then(() => counts.resolve({ before, after: [req.listenerCount('close'), res.listenerCount('close')], status: scope.status }));
    });
    expect((await get(front.url)).text).toBe('ok');
    const { before, after, status } = await counts.promise;
    expect(after).toEqual(before);
    expect(status).toBe('completed');
  });

  it('a request scope on a keep-alive connection holds one socket listener while it runs, and none after (SPEC §10)', async () => {
    type Listeners = Function[]; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    const seen: { added: number; left: number }[] = [];
    const sockets = new Set<unknown>();
    const front = await serve((req, res) => {
      sockets.add(req.socket);
      const before: Listeners = req.socket.listeners('close');
      let during: Listeners = [];
      void requestScope(req, res)
        .run(async () => {
          during = req.socket.listeners('close');
          res.end('ok');
        })
        .then(() => {
          // Node adds and removes its own per-request listeners: count only the ones that were not there before.
          const after = req.socket.listeners('close');
          seen.push({ added: during.filter((f) => !before.includes(f)).length, left: after.filter((f) => !before.includes(f)).length });
        });
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve, reject) => {
          http
            .get(front.url, { agent }, (res) => {
              res.resume();
              res.on('end', resolve);
            })
            .on('error', reject);
        });
      }
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      agent.destroy();
    }
    expect(sockets.size).toBe(1); // one connection, reused
    // One listener for the live request, none left once it ended: the idle connection carries nothing of ours.
    expect(seen).toEqual(Array.from({ length: 5 }, () => ({ added: 1, left: 0 })));
  });

  it('a pipelined request queued behind a slow one is cancelled when the connection closes', async () => {
    const outcomes = new Map<string, unknown>();
    const both = deferred();
    const second = deferred();
    const front = await serve((req, res) => {
      requestScope(req, res)
        .run(async (scope) => {
          if (req.url === '/second') second.resolve();
          await scope.sleep(10_000);
        })
        .catch((error: unknown) => {
          outcomes.set(req.url!, error);
          if (outcomes.size === 2) both.resolve();
        });
    });
    const socket = net.connect(Number(new URL(front.url).port), '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    await second.promise;
    socket.destroy();
    await both.promise;
    expect(outcomes.get('/first')).toBeInstanceOf(DisconnectCancelation);
    expect(outcomes.get('/second')).toBeInstanceOf(DisconnectCancelation);
  });

  it('a client already gone when the scope starts cancels it at start', async () => {
    const outcome = deferred<unknown>();
    const front = await serve((req, res) => {
      res.once('close', () => {
        requestScope(req, res)
          .run((scope) => scope.sleep(10_000))
          .catch((error: unknown) => outcome.resolve(error));
      });
    });
    await requestThenAbort(front.url, delay(20));
    expect(await outcome.promise).toBeInstanceOf(DisconnectCancelation);
  });

  it('is detached from the scope current when the server started, unless a parent is given', async () => {
    const app = new Cancelable({ name: 'app' });
    const parents = deferred<{ detached: unknown; attached: unknown; detachedCancelled: boolean }>();
    const started = deferred<Started<http.Server>>();
    const appRun = app.run(async () => {
      started.resolve(
        await serve((req, res) => {
          const detached = requestScope(req, res);
          const attached = requestScope(req, res, { parent: app });
          void detached.run(async () => {
            await attached.run(async () => {
              app.cancel('app stopping');
              await delay(10);
            }).catch(() => {});
            parents.resolve({ detached: detached.parent, attached: attached.parent, detachedCancelled: detached.isCancelled });
            res.end('done');
          });
        }),
      );
      await app.waitForCancel();
    });
    const front = await started.promise;
    expect((await get(front.url)).text).toBe('done');
    const seen = await parents.promise;
    expect(seen.detached).toBeUndefined();
    expect(seen.attached).toBe(app);
    expect(seen.detachedCancelled).toBe(false);
    await appRun.catch(() => {});
  });
});

describe('requestScope: HTTP/2 and web Requests', () => {
  it('an HTTP/2 stream cancelled by the client cancels the scope; a fully read body does not', async () => {
    const outcomes: unknown[] = [];
    const cancelled = deferred();
    const started = deferred();
    const server = await listen2((req, res) => {
      const scope = requestScope(req, res);
      void scope
        .run(async (s) => {
          if (req.url === '/post') {
            let body = '';
            for await (const chunk of req) body += String(chunk);
            await s.sleep(30);
            res.end(`got ${body.length}`);
            return;
          }
          started.resolve();
          await s.sleep(10_000);
        })
        .then(
          () => outcomes.push('completed'),
          (error: unknown) => {
            outcomes.push(error);
            cancelled.resolve();
          },
        );
    });
    servers.push(server);
    const session = http2.connect(server.url);
    try {
      const post = session.request({ ':path': '/post', ':method': 'POST' });
      post.end('y'.repeat(5_000));
      let text = '';
      post.setEncoding('utf8');
      post.on('data', (chunk: string) => (text += chunk));
      await new Promise((resolve) => post.on('end', resolve));
      expect(text).toBe('got 5000');

      const stream = session.request({ ':path': '/wait' });
      stream.on('error', () => {});
      stream.end();
      await started.promise;
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await cancelled.promise;
      expect(outcomes[0]).toBe('completed');
      expect(outcomes[1]).toBeInstanceOf(DisconnectCancelation);
    } finally {
      session.destroy();
    }
  });

  it('a web Request: its signal is the disconnect, its headers the deadline', async () => {
    const controller = new AbortController();
    const request = new Request('http://127.0.0.1/report?token=secret', { signal: controller.signal, headers: { 'connect-timeout-ms': '5000' } });
    const scope = requestScope(request);
    expect(scope.name).toBe('GET /report');
    expect(requestInfo(scope)).toMatchObject({ header: 'connect-timeout-ms', callerBudgetMs: 5000, deadlineBy: 'caller' });
    const run = scope.run((s) => s.sleep(10_000));
    setTimeout(() => controller.abort(), 5);
    await expect(run).rejects.toBeInstanceOf(DisconnectCancelation);
    expect(statusFor(scope)).toMatchObject({ status: 499, write: false, cause: 'disconnect' });
  });

  it("adopts the runtime's own signal: an abort is a disconnect, a TimeoutError a route timeout (503)", async () => {
    const front = await serve((req, res) => {
      const controller = new AbortController();
      const url = req.url ?? '/';
      setTimeout(() => controller.abort(url === '/timeout' ? new DOMException('handler timeout', 'TimeoutError') : undefined), 20);
      void handleRequest(req, res, (scope) => scope.sleep(10_000).then(() => res.end('late')), {
        signal: controller.signal,
        onCancel: (error, _req, response) => {
          response!.writeHead(url === '/timeout' ? 503 : 299).end(`${statusFor(error)!.cause}`);
        },
      });
    });
    expect(await get(`${front.url}/timeout`)).toMatchObject({ status: 503, text: 'route-timeout' });
    expect(await get(`${front.url}/left`)).toMatchObject({ status: 299, text: 'disconnect' });
  });

  it('handleRequest with a web Request maps a route timeout to a 503 Response', async () => {
    const response = await handleRequest(new Request('http://127.0.0.1/'), (scope) => scope.sleep(10_000).then(() => new Response('late')), {
      timeout: 20,
      retryAfter: 3,
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.text()).toBe('Request timed out\n');
  });
});

describe('handleRequest: the status mapping on real responses', () => {
  function app(options: HandleRequestOptions = {}): Promise<Started<http.Server>> {
    return serve((req, res) => {
      void handleRequest(req, res, (scope) => scope.sleep(10_000).then(() => res.end('late')), options);
    });
  }

  it('route timeout -> 503 (with Retry-After when configured)', async () => {
    const front = await app({ timeout: 30, retryAfter: 2 });
    const reply = await get(front.url);
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('2');
    expect(reply.text).toBe('Request timed out\n');
  });

  it("the caller's deadline expired -> 504; a client never extends the route's timeout", async () => {
    const front = await app({ timeout: 5_000 });
    const started = performance.now();
    const reply = await get(front.url, { headers: { 'grpc-timeout': '40m' } });
    expect(reply.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(2_000);
    const generous = await app({ timeout: 30 });
    expect((await get(generous.url, { headers: { 'connect-timeout-ms': '60000' } })).status).toBe(503);
  });

  it('a disconnect writes nothing', async () => {
    const wrote = deferred<boolean>();
    const front = await serve((req, res) => {
      void handleRequest(req, res, (scope) => scope.sleep(10_000)).then(() => wrote.resolve(res.headersSent));
    });
    await requestThenAbort(front.url, delay(30));
    expect(await wrote.promise).toBe(false);
  });

  it('a handler error is rejected unchanged (the framework handles it); onCancel replaces the answer', async () => {
    const failure = deferred<unknown>();
    const front = await serve((req, res) => {
      if (req.url === '/fail') {
        handleRequest(req, res, () => {
          throw new RangeError('boom');
        }).catch((error: unknown) => {
          failure.resolve(error);
          res.statusCode = 500;
          res.end('handled by the app');
        });
        return;
      }
      void handleRequest(req, res, (scope) => scope.sleep(10_000), {
        timeout: 10,
        onCancel: (error, _req, response) => {
          response!.writeHead(418).end(String((error as TimeoutCancelation).reason));
        },
      });
    });
    const failed = await get(`${front.url}/fail`);
    expect(failed.status).toBe(500);
    expect(await failure.promise).toBeInstanceOf(RangeError);
    const custom = await get(`${front.url}/custom`);
    expect(custom.status).toBe(418);
    expect(custom.text).toBe('timeout');
  });

  it('statusFor maps shutdown to 503 + Connection: close, and follows a ParentCancelation to its root', async () => {
    const signal = new SignalCancelation('stop', { signal: 'SIGTERM' });
    expect(statusFor(signal)).toMatchObject({ status: 503, cause: 'shutdown', headers: { connection: 'close' } });
    const child = await Cancelable.withTimeout(5)
      .run(() => new Cancelable().run((s) => s.sleep(1_000)))
      .catch((error: unknown) => error);
    expect(statusFor(child)).toMatchObject({ status: 504, cause: 'timeout' });
    expect(statusFor(new Error('plain'))).toBeUndefined();
    expect(statusFor(new Cancelable())).toBeUndefined();
  });
});

describe('requestScope: bad input', () => {
  it('names the parameter and the value', async () => {
    const front = await serve((req, res) => {
      const errors: string[] = [];
      for (const attempt of [
        () => requestScope(req, undefined as unknown as NodeResponse),
        () => requestScope({} as NodeRequest, res),
        () => requestScope(req, res, { timeout: -1 }),
        () => requestScope(req, res, { deadlineHeaders: ['x-deadline' as never] }),
        () => requestScope(req, res, { tiemout: 5 } as never),
      ]) {
        try {
          attempt();
          errors.push('no error');
        } catch (error) {
          errors.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      res.end(JSON.stringify(errors));
    });
    const errors = JSON.parse((await get(front.url)).text) as string[];
    expect(errors[0]).toMatch(/TypeError: .*res.*undefined/);
    expect(errors[1]).toMatch(/TypeError: .*req/);
    expect(errors[2]).toMatch(/RangeError: options\.timeout.*-1/);
    expect(errors[3]).toMatch(/TypeError: options\.deadlineHeaders\[0\].*x-deadline/);
    expect(errors[4]).toMatch(/TypeError: .*tiemout/);
  });
});
