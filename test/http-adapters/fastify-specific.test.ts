/**
 * What only the Fastify adapter does: Fastify's own `handlerTimeout` (its `request.signal`) is adopted,
 * but not the abort that signal also fires once a request body has been read (fastify#6725); per-route
 * `config.cancelable` (options, or `false` for no scope) checked when the route is added; `onCancel`.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { Cancelable } from '../../src/cancelable.js';
import { cancelablePlugin } from '../../src/fastify/index.js';
import { request } from './clients.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function listen(instance: FastifyInstance): Promise<string> {
  await instance.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(instance.server.address() as AddressInfo).port}`;
}

describe('cancelable-ts/fastify', () => {
  it('a JSON POST parsed by Fastify, on a route with handlerTimeout (so request.signal exists), is not cancelled', async () => {
    app = Fastify();
    await app.register(cancelablePlugin);
    const seen: { fastifySignalAborted?: boolean; end?: string } = {};
    app.post('/json', { handlerTimeout: 5_000 }, async (request) => {
      const scope = Cancelable.current()!;
      try {
        await scope.sleep(100);
        seen.end = 'completed';
      } catch (error) {
        seen.end = (error as { reason?: string }).reason;
        throw error;
      }
      // Informative: whether Fastify's own signal fired on the body's end (fastify#6725).
      seen.fastifySignalAborted = request.signal.aborted;
      return { size: JSON.stringify(request.body).length };
    });
    const origin = await listen(app);
    const body = JSON.stringify({ text: 'x'.repeat(100_000) });
    const reply = await request(origin, '/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(reply.status).toBe(200);
    expect(seen.end).toBe('completed');
    console.log(`[fastify] request.signal aborted after a fully read body: ${String(seen.fastifySignalAborted)}`);
  });

  it("adopts Fastify's handlerTimeout: the scope is cancelled with reason timeout and Fastify answers 503", async () => {
    app = Fastify();
    await app.register(cancelablePlugin);
    let outcome: string | undefined;
    app.get('/slow', { handlerTimeout: 50 }, async () => {
      try {
        await Cancelable.current()!.sleep(10_000);
      } catch (error) {
        outcome = (error as { reason?: string }).reason;
        throw error;
      }
      return 'late';
    });
    const origin = await listen(app);
    const started = performance.now();
    const reply = await request(origin, '/slow');
    expect(reply.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect.poll(() => outcome).toBe('timeout');
  });

  it('config.cancelable: false gives a route no scope; other routes keep theirs', async () => {
    app = Fastify();
    await app.register(cancelablePlugin, { timeout: 5_000 });
    app.get('/plain', { config: { cancelable: false } }, async (request) => ({ scope: request.scope, current: Cancelable.current() ?? null }));
    app.get('/scoped', async (request) => ({ same: request.scope === Cancelable.current() && request.scope !== null }));
    const origin = await listen(app);
    expect(JSON.parse((await request(origin, '/plain')).body)).toEqual({ scope: null, current: null });
    expect(JSON.parse((await request(origin, '/scoped')).body)).toEqual({ same: true });
  });

  it('a route config with an unknown key fails when the route is added, naming it; so do plugin options', async () => {
    app = Fastify();
    await app.register(cancelablePlugin);
    expect(() => app!.get('/typo', { config: { cancelable: { timout: 5 } as never } }, async () => 'x')).toThrow(/unknown key "timout"/);
    expect(() => app!.get('/negative', { config: { cancelable: { timeout: -5 } } }, async () => 'x')).toThrow(/timeout/);
    await app.ready();
    const other = Fastify();
    await expect(other.register(cancelablePlugin, { timout: 5 } as never)).rejects.toThrow(/unknown key "timout"/);
    await other.close();
  });

  it('onCancel replaces the default answer', async () => {
    app = Fastify();
    await app.register(cancelablePlugin, {
      onCancel: (error, _request, reply) => {
        void reply.code(503).send({ cancelled: (error as { reason?: string }).reason });
      },
    });
    app.get('/slow', { config: { cancelable: { timeout: 30 } } }, async () => {
      await Cancelable.current()!.sleep(10_000);
      return 'late';
    });
    const origin = await listen(app);
    const reply = await request(origin, '/slow');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toEqual({ cancelled: 'timeout' });
  });
});
