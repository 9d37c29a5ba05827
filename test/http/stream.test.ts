// sse() and ndjson() on real servers (SPEC §10): the source's return() runs on disconnect and on
// timeout, the final notice reaches a client that is still there, a slow client applies backpressure.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DisconnectCancelation, TimeoutCancelation } from '../../src/index.js';
import { handleRequest, ndjson, sse } from '../../src/http/index.js';
import { formatSse } from '../../src/http/stream.js';
import { deferred, delay, get, listen, type Started } from './helpers.js';

const servers: Started<unknown>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(handler: http.RequestListener): Promise<Started<http.Server>> {
  const started = await listen(handler);
  servers.push(started);
  return started;
}

/** An endless source that counts what it produced and records when its return() ran. */
function ticker(everyMs: number, size = 0): { source: AsyncGenerator<string>; produced: () => number; closed: Promise<void> } {
  let produced = 0;
  const closed = deferred();
  async function* generate(): AsyncGenerator<string> {
    try {
      for (;;) {
        if (everyMs > 0) await delay(everyMs);
        produced++;
        yield size > 0 ? `${produced}:${'x'.repeat(size)}` : `tick ${produced}`;
      }
    } finally {
      closed.resolve();
    }
  }
  return { source: generate(), produced: () => produced, closed: closed.promise };
}

describe('sse()', () => {
  it('on disconnect: the source is closed (return()), nothing more is written', async () => {
    const tick = ticker(10);
    const outcome = deferred<unknown>();
    const front = await serve((req, res) => {
      handleRequest(req, res, () => sse(res, tick.source).then(() => outcome.resolve('completed'), (e: unknown) => {
        outcome.resolve(e);
        throw e;
      })).catch(() => {});
    });
    const firstEvent = deferred();
    const req = http.get(front.url, { agent: false }, (res) => {
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      res.once('data', () => firstEvent.resolve());
    });
    req.on('error', () => {});
    await firstEvent.promise;
    req.destroy();
    await tick.closed;
    expect(await outcome.promise).toBeInstanceOf(DisconnectCancelation);
    const produced = tick.produced();
    await delay(50);
    expect(tick.produced()).toBe(produced);
  });

  it('on a route timeout: the source is closed and the client gets a final event: cancelled', async () => {
    const tick = ticker(10);
    const front = await serve((req, res) => {
      void handleRequest(req, res, () => sse(res, tick.source), { timeout: 120 });
    });
    const reply = await get(front.url);
    await tick.closed;
    expect(reply.status).toBe(200);
    expect(reply.text).toMatch(/^data: tick 1\n\n/);
    expect(reply.text).toMatch(/event: cancelled\ndata: \{"reason":"timeout","message":"Route timeout of 120ms exceeded"\}\n\n$/);
  });

  it('a slow client applies backpressure: the source is not read ahead while the client does not read', async () => {
    const tick = ticker(0, 64 * 1024);
    const finished = deferred<unknown>();
    const front = await serve((req, res) => {
      void handleRequest(req, res, () => sse(res, tick.source).catch((error: unknown) => {
        finished.resolve(error);
        throw error;
      }));
    });
    const received = deferred<http.IncomingMessage>();
    const req = http.get(front.url, { agent: false }, (res) => received.resolve(res));
    req.on('error', () => {});
    const res = await received.promise;
    res.pause();
    await delay(300);
    const whilePaused = tick.produced();
    await delay(300);
    // Socket buffers hold a few MB at most: an unbounded writer would have produced thousands of 64 KB items.
    expect(tick.produced() - whilePaused).toBeLessThanOrEqual(1);
    expect(whilePaused).toBeLessThan(200);
    let bytes = 0;
    res.on('data', (chunk: Buffer) => (bytes += chunk.length));
    res.resume();
    await delay(200);
    expect(tick.produced()).toBeGreaterThan(whilePaused);
    expect(bytes).toBeGreaterThan(0);
    req.destroy();
    await tick.closed;
    expect(await finished.promise).toBeInstanceOf(DisconnectCancelation);
  });

  it('formats events: several data lines, no line break in names or ids', () => {
    expect(formatSse('a\nb')).toBe('data: a\ndata: b\n\n');
    expect(formatSse({ event: 'x\ninjected: 1', data: { n: 1 }, id: '7\r\n' })).toBe('event: xinjected: 1\nid: 7\ndata: {"n":1}\n\n');
    expect(formatSse({ n: 1 })).toBe('data: {"n":1}\n\n');
  });

  it('needs a scope and a response', async () => {
    await expect(sse({} as never, [])).rejects.toThrow(/sse\(res, source\) needs a node:http response as res/);
    const front = await serve((_req, res) => {
      sse(res, ['a']).then(
        () => res.end('no error'),
        (error: unknown) => res.end(String(error)),
      );
    });
    expect((await get(front.url)).text).toMatch(/TypeError: sse\(\) needs a scope/);
  });
});

describe('ndjson()', () => {
  it('writes one JSON line per item, then the final cancelled line on timeout; the source is closed', async () => {
    let n = 0;
    const closed = deferred();
    async function* rows(): AsyncGenerator<{ n: number }> {
      try {
        for (;;) {
          await delay(10);
          yield { n: ++n };
        }
      } finally {
        closed.resolve();
      }
    }
    const front = await serve((req, res) => {
      void handleRequest(req, res, () => ndjson(res, rows()), { timeout: 100 });
    });
    const reply = await get(front.url);
    await closed.promise;
    expect(reply.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = reply.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toEqual({ n: 1 });
    expect(lines.at(-1)).toEqual({ event: 'cancelled', reason: 'timeout', message: 'Route timeout of 100ms exceeded' });
  });

  it('a finite source ends the response normally; a source error ends it and rejects', async () => {
    const errors: unknown[] = [];
    const front = await serve((req, res) => {
      handleRequest(req, res, () =>
        req.url === '/bad'
          ? ndjson(res, (async function* () {
              yield 1;
              throw new RangeError('source broke');
            })())
          : ndjson(res, [1, 2, 3], { map: (x) => ({ x }) }),
      ).catch((error: unknown) => errors.push(error));
    });
    expect((await get(front.url)).text).toBe('{"x":1}\n{"x":2}\n{"x":3}\n');
    expect((await get(`${front.url}/bad`)).text).toBe('1\n');
    expect(errors[0]).toBeInstanceOf(RangeError);
    expect(errors[0]).not.toBeInstanceOf(TimeoutCancelation);
  });
});
