/**
 * Load through each adapter: 10,000 requests on loopback (a bounded-concurrency loop of our own, a
 * keep-alive agent), 10% of them disconnected by the client at a random moment while the handler
 * sleeps in its scope. Afterwards nothing is left: no live request scope (registry and the HTTP
 * layer's own set), no listener added to the server, and — checked by the harness for the file — no
 * timer or socket. Every request that was not disconnected got 200. Figures are printed.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { liveRequests } from '../../src/http/request-source.js';
import { OperationRegistry } from '../../src/registry/index.js';
import { startApp, type Framework } from './apps.js';
import { until } from './clients.js';

const REQUESTS = 10_000;
const CONCURRENCY = 32;
const DISCONNECT_RATE = 0.1;

/** A deterministic PRNG (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tally {
  ok: number;
  disconnected: number;
  other: Map<string, number>;
}

function one(origin: string, agent: http.Agent, disconnectAfterMs: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request(`${origin}/fast?ms=3`, { agent: disconnectAfterMs === undefined ? agent : false });
    let timer: NodeJS.Timeout | undefined;
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        if (timer) clearTimeout(timer);
        const body = Buffer.concat(chunks).toString();
        resolve(res.statusCode === 200 && body === 'ok' ? 'ok' : `${res.statusCode} ${body.slice(0, 40)}`);
      });
      res.on('error', () => resolve('response error'));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      resolve(disconnectAfterMs === undefined ? `error ${error.code ?? error.message}` : 'disconnected');
    });
    req.end();
    if (disconnectAfterMs !== undefined) {
      timer = setTimeout(() => {
        req.destroy();
        resolve('disconnected');
      }, disconnectAfterMs);
    }
  });
}

async function load(framework: Framework): Promise<void> {
  const registry = new OperationRegistry({ historyLimit: REQUESTS });
  const app = await startApp(framework, { registry });
  const requestListeners = app.server.listenerCount('request');
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const next = random(17);
  const tally: Tally = { ok: 0, disconnected: 0, other: new Map() };
  let issued = 0;
  const started = performance.now();
  try {
    const worker = async (): Promise<void> => {
      while (issued < REQUESTS) {
        issued++;
        const disconnect = next() < DISCONNECT_RATE ? next() * 4 : undefined;
        const result = await one(app.origin, agent, disconnect);
        if (result === 'ok') tally.ok++;
        else if (result === 'disconnected') tally.disconnected++;
        else tally.other.set(result, (tally.other.get(result) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = performance.now() - started;
    // Disconnected handlers end as soon as their scope is cancelled; give the last ones a moment.
    await until(() => registry.list().length === 0 && liveRequests.size === 0, 5_000, 'every request scope to end');
    console.log(
      `[${framework} load] ${JSON.stringify({
        requests: REQUESTS,
        ok: tally.ok,
        disconnected: tally.disconnected,
        other: Object.fromEntries(tally.other),
        seconds: Number((elapsed / 1000).toFixed(2)),
        requestsPerSecond: Math.round(REQUESTS / (elapsed / 1000)),
        serverCancelled: registry.history({ limit: REQUESTS, status: 'cancelled' }).length,
      })}`,
    );
    expect(tally.other.size, JSON.stringify(Object.fromEntries(tally.other))).toBe(0);
    expect(tally.ok + tally.disconnected).toBe(REQUESTS);
    expect(tally.disconnected).toBeGreaterThan(REQUESTS * DISCONNECT_RATE * 0.8);
    expect(registry.list()).toEqual([]);
    expect(liveRequests.size).toBe(0);
    expect(app.server.listenerCount('request')).toBe(requestListeners);
    const cancelled = registry.history({ limit: REQUESTS, status: 'cancelled' });
    // Every request the server saw ended; those cancelled were cancelled by their client's disconnect
    // (a client that left before its request was read never got a scope: under load, many).
    expect(registry.history({ limit: REQUESTS }).length).toBeGreaterThanOrEqual(tally.ok);
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.every((op) => op.cancelReason === 'disconnect')).toBe(true);
  } finally {
    agent.destroy();
    await app.close();
  }
}

describe(`load: ${REQUESTS.toLocaleString('en')} requests, ${DISCONNECT_RATE * 100}% disconnected by the client`, () => {
  for (const framework of ['express', 'fastify', 'hono', 'koa'] as const) {
    it(`${framework}: nothing left behind`, () => load(framework), 180_000);
  }
});
