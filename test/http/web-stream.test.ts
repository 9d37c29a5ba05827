/**
 * sseResponse() / ndjsonResponse(): SPEC §10's streaming responses as a web `Response` (Hono, Bun,
 * Deno, edge). Read through the real web streams of Node's `Response`, and through Hono's in-process
 * `app.request()` (no Node request: the adapter's web path).
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { Cancelable } from '../../src/cancelable.js';
import { requestScope as honoScope } from '../../src/hono/index.js';
import { requestScope } from '../../src/http/request-scope.js';
import { ndjsonResponse, sseResponse } from '../../src/http/web-stream.js';

interface Probe {
  pulled: number;
  closed: boolean;
}

/** `count` items (Infinity: endless), `ms` apart, counting what was pulled and whether it was closed. */
async function* items(probe: Probe, count: number, ms: number): AsyncGenerator<{ n: number }> {
  try {
    for (let n = 0; n < count; n++) {
      probe.pulled++;
      yield { n };
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    }
  } finally {
    probe.closed = true;
  }
}

const decoder = new TextDecoder();

/** An async generator paused in an await closes when it next reaches a yield: wait for it. */
async function closedSoon(probe: Probe): Promise<boolean> {
  for (let i = 0; i < 100 && !probe.closed; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  return probe.closed;
}

/** Reads `response`'s body until it ends; `error` when it errored. */
async function readAll(response: Response): Promise<{ text: string; error?: unknown }> {
  const reader = response.body!.getReader();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

describe('sseResponse / ndjsonResponse', () => {
  it('runs a scope that has not started as the stream itself: events, headers, and the scope completes', async () => {
    const probe: Probe = { pulled: 0, closed: false };
    const scope = new Cancelable({ name: 'events' });
    const response = sseResponse(items(probe, 3, 0), { scope, headers: { 'X-Extra': 'yes' } });
    expect(scope.isRunning).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-extra')).toBe('yes');
    const { text, error } = await readAll(response);
    expect(error).toBeUndefined();
    expect(text).toBe('data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\n');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(scope.status).toBe('completed');
    expect(probe.closed).toBe(true);
  });

  it("a timeout stops the stream, closes the source, and the client gets a final 'cancelled' event", async () => {
    const probe: Probe = { pulled: 0, closed: false };
    const response = sseResponse(items(probe, Infinity, 10), { scope: Cancelable.withTimeout(100) });
    const started = performance.now();
    const { text, error } = await readAll(response);
    expect(error).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(text.startsWith('data: {"n":0}\n\n')).toBe(true);
    const last = text.trimEnd().split('\n\n').at(-1)!;
    expect(last.split('\n')[0]).toBe('event: cancelled');
    expect(JSON.parse(last.split('\n')[1]!.slice('data: '.length))).toMatchObject({ reason: 'timeout' });
    expect(await closedSoon(probe)).toBe(true);
    expect(probe.pulled).toBeLessThan(100);
  });

  it("a child of the current scope: the parent's cancellation ends it with the parent's reason", async () => {
    const probe: Probe = { pulled: 0, closed: false };
    let text = '';
    let parentCancelled = false;
    await Cancelable.withTimeout(80)
      .run(async (scope) => {
        text = (await readAll(sseResponse(items(probe, Infinity, 10)))).text;
        parentCancelled = scope.isCancelled;
      })
      .catch(() => undefined);
    expect(parentCancelled).toBe(true);
    expect(text.startsWith('data: {"n":0}')).toBe(true);
    // The stream's own error is a ParentCancelation: the notice gives the root reason.
    expect(text).toMatch(/event: cancelled\ndata: \{"reason":"timeout"/);
    expect(await closedSoon(probe)).toBe(true);
  });

  it('a client that goes away (the body cancelled) closes the source and cancels the scope with reason disconnect; nothing more is written', async () => {
    const probe: Probe = { pulled: 0, closed: false };
    const scope = new Cancelable();
    const response = sseResponse(items(probe, Infinity, 5), { scope });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel('gone');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(probe.closed).toBe(true);
    expect(scope.status).toBe('cancelled');
    expect(scope.cancelError?.reason).toBe('disconnect');
  });

  it('pulls as the client reads: a client that does not read holds the source at most one item ahead', async () => {
    const probe: Probe = { pulled: 0, closed: false };
    const scope = new Cancelable();
    const response = ndjsonResponse(items(probe, Infinity, 0), { scope });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(probe.pulled).toBeLessThanOrEqual(2);
    const reader = response.body!.getReader();
    for (let i = 0; i < 5; i++) await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(probe.pulled).toBeLessThanOrEqual(7);
    await reader.cancel();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(probe.closed).toBe(true);
  });

  it('ndjson: one JSON line per item, map, status; finalEvent: false ends without the notice', async () => {
    const probe: Probe = { pulled: 0, closed: false };
    const done = ndjsonResponse(items(probe, 2, 0), { scope: new Cancelable(), map: (item) => ({ id: item.n }), status: 206 });
    expect(done.status).toBe(206);
    expect(done.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect((await readAll(done)).text).toBe('{"id":0}\n{"id":1}\n');
    const silent = ndjsonResponse(items({ pulled: 0, closed: false }, Infinity, 10), { scope: Cancelable.withTimeout(50), finalEvent: false });
    const { text } = await readAll(silent);
    expect(text).not.toContain('cancelled');
    const noticed = ndjsonResponse(items({ pulled: 0, closed: false }, Infinity, 10), { scope: Cancelable.withTimeout(50) });
    const lines = (await readAll(noticed)).text.trimEnd().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ event: 'cancelled', reason: 'timeout' });
  });

  it("a source that fails errors the body (a cut response, not a clean end)", async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('source broke');
    }
    const scope = new Cancelable();
    const { text, error } = await readAll(sseResponse(failing(), { scope }));
    expect(text).toBe('data: 1\n\n');
    expect((error as Error).message).toBe('source broke');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(scope.status).toBe('failed');
  });

  it('on a web Request scope (Bun, Deno): the request aborting stops the stream', async () => {
    const probe: Probe = { pulled: 0, closed: false };
    const controller = new AbortController();
    const request = new Request('http://localhost/events', { signal: controller.signal });
    const scope = requestScope(request);
    const response = sseResponse(items(probe, Infinity, 5), { scope });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(probe.closed).toBe(true);
    expect(scope.cancelError?.reason).toBe('disconnect');
    await reader.cancel();
  });

  it('bad input is refused at the call', () => {
    expect(() => sseResponse([1])).toThrow(/needs a scope/);
    expect(() => sseResponse([1], { scope: new Cancelable(), status: 99 })).toThrow(RangeError);
    expect(() => sseResponse([1], { scope: new Cancelable(), bogus: 1 } as never)).toThrow(/bogus/);
    expect(() => sseResponse(42 as never, { scope: new Cancelable() })).toThrow(TypeError);
    expect(() => ndjsonResponse([1], { scope: new Cancelable(), map: 'x' as never })).toThrow(/options.map/);
  });
});

describe('cancelable-ts/hono off Node (app.request: only the web Request)', () => {
  it("keeps the request's scope until an sseResponse body ends: the route timeout reaches it, with a final event", async () => {
    const probe: Probe = { pulled: 0, closed: false };
    let runningWhileStreaming = true;
    const app = new Hono();
    app.use(honoScope({ timeout: 120 }));
    app.get('/events', (c) => {
      const scope = c.var.scope;
      async function* watched(): AsyncGenerator<{ n: number }> {
        for await (const item of items(probe, Infinity, 10)) {
          runningWhileStreaming &&= scope.isRunning;
          yield item;
        }
      }
      return sseResponse(watched());
    });
    const response = await app.request('/events');
    expect(response.status).toBe(200);
    const { text } = await readAll(response);
    expect(text).toMatch(/event: cancelled\ndata: \{"reason":"timeout"/);
    expect(probe.pulled).toBeGreaterThan(2);
    expect(runningWhileStreaming).toBe(true);
    expect(await closedSoon(probe)).toBe(true);
  });

  it('a plain response ends the scope when the handler returns, as before', async () => {
    let seen: Cancelable | undefined;
    const app = new Hono();
    app.use(honoScope({ timeout: 1_000 }));
    app.get('/', (c) => {
      seen = c.var.scope;
      return c.text('ok');
    });
    const response = await app.request('/');
    expect(await response.text()).toBe('ok');
    expect(seen!.status).toBe('completed');
  });
});
