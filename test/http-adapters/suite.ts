/**
 * SPEC §10 for one framework adapter, on a real server on 127.0.0.1 with real clients: the scope is
 * the handler's `Cancelable.current()` and on the framework's object; a client disconnect cancels the
 * handler's awaits within a few ms, aborts its downstream fetch and writes nothing; a fully read POST
 * is not cancelled, a POST cut mid-body is; route timeout → 503 (also for a handler that ignores the
 * cancellation); an expired caller deadline → 504; a handler error reaches the framework's own error
 * handler. Figures (disconnect → handler, disconnect → downstream socket closed) are printed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseGrpcTimeout } from '../../src/http/headers.js';
import { gracefulShutdown } from '../../src/http/shutdown.js';
import { startApp, type Framework, type RunningApp } from './apps.js';
import { openRequest, request, startDownstream, streamRequest, until, type Downstream } from './clients.js';

let counter = 0;
const nextId = (): string => `t${++counter}`;

/**
 * A cancellation is not a failure: the application's error handler does not see it (Express through
 * `cancelationErrors()`, Hono through its `cancelationErrors(onError)`; Fastify and Koa by themselves).
 */
function expectNoFailureSeen(seen: unknown): void {
  expect(seen).toBeUndefined();
}

export function adapterSuite(framework: Framework): void {
  describe(`cancelable-ts/${framework}`, () => {
    let app: RunningApp;
    let downstream: Downstream;
    const figures: Record<string, number[]> = { disconnectToHandlerMs: [], disconnectToDownstreamMs: [] };

    beforeAll(async () => {
      downstream = await startDownstream();
    });
    afterAll(async () => {
      await downstream.close();
      const summary = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, v.map((x) => Number(x.toFixed(2)))]));
      console.log(`[${framework} adapter] ${JSON.stringify(summary)}`);
    });
    afterEach(async () => {
      // After a graceful shutdown the server is already closed.
      await app?.close().catch(() => {});
    });

    it("the handler's scope is Cancelable.current() and the framework object's", async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const reply = await request(app.origin, '/wait?ms=1', { headers: { 'x-test-id': id } });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe('done');
      expect(await app.recorder.outcome(id)).toMatchObject({ end: 'completed', sameScope: true });
    });

    it("a client disconnect cancels the handler's awaits within a few ms and nothing is written", async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      for (let round = 0; round < 5; round++) {
        const id = nextId();
        const open = openRequest(app.origin, '/wait?ms=10000', { headers: { 'x-test-id': id } });
        await until(() => app.recorder.writes.has(id), 5_000, 'the request to arrive');
        await new Promise((resolve) => setTimeout(resolve, 20));
        open.destroy();
        const outcome = await app.recorder.outcome(id);
        expect(outcome).toMatchObject({ end: 'disconnect', sameScope: true });
        const latency = outcome.at - open.disconnectedAt;
        figures.disconnectToHandlerMs!.push(latency);
        expect(latency).toBeLessThan(250);
        await new Promise((resolve) => setTimeout(resolve, 30));
        expect(app.recorder.writes.get(id)).toEqual([]);
        expect(open.answered).toBe(false);
      }
    });

    it("a client disconnect aborts the handler's downstream fetch (the downstream socket closes)", async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const open = openRequest(app.origin, '/proxy', { headers: { 'x-test-id': id } });
      await until(() => downstream.arrived.has(id), 5_000, 'the downstream call');
      open.destroy();
      await until(() => downstream.closed.has(id), 5_000, 'the downstream socket to close');
      figures.disconnectToDownstreamMs!.push(downstream.closed.get(id)! - open.disconnectedAt);
      expect(downstream.closed.get(id)! - open.disconnectedAt).toBeLessThan(250);
      expect(await app.recorder.outcome(id)).toMatchObject({ end: 'disconnect', sameScope: true });
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(app.recorder.writes.get(id)).toEqual([]);
    });

    it("the handler's downstream call carries the caller's remaining budget, in the caller's header family", async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const open = openRequest(app.origin, '/proxy', { headers: { 'x-test-id': id, 'grpc-timeout': '5S' } });
      await until(() => downstream.arrived.has(id), 5_000, 'the downstream call');
      const sent = downstream.headers.get(id)!['grpc-timeout'];
      expect(sent).toMatch(/^\d{1,8}[HMSmun]$/);
      const ms = parseGrpcTimeout(String(sent))!;
      expect(ms).toBeGreaterThan(3_000);
      expect(ms).toBeLessThan(5_000);
      open.destroy();
      await until(() => downstream.closed.has(id), 5_000, 'the downstream socket to close');
    });

    it('a POST whose body was fully read is not cancelled', async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const body = Buffer.alloc(256 * 1024, 7);
      const reply = await request(app.origin, '/upload', {
        method: 'POST',
        headers: { 'x-test-id': id, 'content-type': 'application/octet-stream' },
        body,
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe(String(body.length));
      expect(await app.recorder.outcome(id)).toMatchObject({ end: 'completed', bytes: body.length, sameScope: true });
    });

    it('a POST cut mid-body is cancelled, and nothing is written', async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const open = openRequest(app.origin, '/upload', {
        method: 'POST',
        headers: { 'x-test-id': id, 'content-type': 'application/octet-stream' },
        declaredLength: 100_000,
        partialBody: Buffer.alloc(1_000, 1),
      });
      await until(() => app.recorder.writes.has(id), 5_000, 'the request to arrive');
      await new Promise((resolve) => setTimeout(resolve, 30));
      open.destroy();
      const outcome = await app.recorder.outcome(id);
      expect(outcome.end).toBe('disconnect');
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(app.recorder.writes.get(id)).toEqual([]);
    });

    it('a route timeout answers 503 and cancels the handler', async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const started = performance.now();
      const reply = await request(app.origin, '/timeout', { headers: { 'x-test-id': id } });
      expect(reply.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(await app.recorder.outcome(id)).toMatchObject({ end: 'timeout', sameScope: true });
      expectNoFailureSeen(app.recorder.errors.get(id));
    });

    it('a route timeout answers 503 at once even when the handler ignores the cancellation', async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const started = performance.now();
      const reply = await request(app.origin, '/ignore', { headers: { 'x-test-id': id } });
      const took = performance.now() - started;
      expect(reply.status).toBe(503);
      // The handler's own timer is 300 ms: the answer must not wait for it.
      expect(took).toBeLessThan(290);
      await new Promise((resolve) => setTimeout(resolve, 320));
    });

    it("an expired caller deadline answers 504 (grpc-timeout, connect-timeout-ms)", async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      for (const header of [{ 'grpc-timeout': '40m' }, { 'connect-timeout-ms': '40' }] as Record<string, string>[]) {
        const id = nextId();
        const reply = await request(app.origin, '/wait?ms=10000', { headers: { 'x-test-id': id, ...header } });
        expect(reply.status).toBe(504);
        expect(await app.recorder.outcome(id)).toMatchObject({ end: 'timeout', sameScope: true });
        expectNoFailureSeen(app.recorder.errors.get(id));
      }
    });

    it('gracefulShutdown: a request still running after the drain is cancelled with reason signal and answered 503 + Connection: close', async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const shutdown = gracefulShutdown(app.server, { signals: [], drainMs: 50, graceMs: 2_000 });
      const id = nextId();
      const answer = request(app.origin, '/wait?ms=10000', { headers: { 'x-test-id': id } });
      await until(() => app.recorder.writes.has(id), 5_000, 'the request to arrive');
      const result = await shutdown.shutdown();
      const reply = await answer;
      expect(reply.status).toBe(503);
      expect(reply.headers.connection).toBe('close');
      expect(await app.recorder.outcome(id)).toMatchObject({ end: 'signal', sameScope: true });
      expect(result).toMatchObject({ drained: false, cancelled: 1, abandoned: 0 });
      shutdown.close();
    });

    it("a cancellation the handler got elsewhere (its own timeout) is mapped too: 504, not the error handler's 500", async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const reply = await request(app.origin, '/inner', { headers: { 'x-test-id': id } });
      expect(reply.status).toBe(504);
      expectNoFailureSeen(app.recorder.errors.get(id));
    });

    it('a streamed body is produced while the request scope still runs, and the scope ends with the response', async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const reply = await streamRequest(app.origin, '/stream?count=5&ms=10', { headers: { 'x-test-id': id } });
      expect(reply).toMatchObject({ status: 200, complete: true, body: 'tick\n'.repeat(5) });
      expect(await app.recorder.outcome(id)).toMatchObject({ end: 'completed', ticks: 5, allRunning: true });
    });

    it('a route timeout stops a streamed body after the handler returned; the client sees it end', async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const started = performance.now();
      const reply = await streamRequest(app.origin, '/stream-timeout', { headers: { 'x-test-id': id } });
      const took = performance.now() - started;
      const outcome = await app.recorder.outcome(id);
      expect(outcome).toMatchObject({ end: 'timeout', allRunning: true });
      // 150 ms at 20 ms a line: some lines came, far fewer than the 500 of the whole body.
      expect(outcome.ticks).toBeGreaterThan(0);
      expect(outcome.ticks).toBeLessThan(100);
      expect(reply.status).toBe(200);
      expect(reply.body.startsWith('tick\n')).toBe(true);
      expect(took).toBeLessThan(3_000);
    });

    it('a client disconnect stops a streamed body after the handler returned', async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const open = openRequest(app.origin, '/stream?count=1000&ms=20', { headers: { 'x-test-id': id } });
      await until(() => (app.recorder.writes.get(id)?.filter((call) => call === 'write').length ?? 0) >= 2, 5_000, 'two lines written');
      open.destroy();
      const outcome = await app.recorder.outcome(id);
      expect(outcome).toMatchObject({ end: 'disconnect', allRunning: true });
      expect(outcome.ticks).toBeLessThan(1000);
      expect(outcome.at - open.disconnectedAt).toBeLessThan(250);
    });

    it("a handler's error reaches the framework's own error handler, unchanged", async () => {
      app = await startApp(framework, { downstream: downstream.origin });
      const id = nextId();
      const reply = await request(app.origin, '/boom', { headers: { 'x-test-id': id } });
      expect(reply.status).toBe(500);
      expect(reply.body).toBe('handled: boom');
      expect((app.recorder.errors.get(id) as Error).message).toBe('boom');
    });
  });
}
