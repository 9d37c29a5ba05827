// Load (issue 17): 10,000 requests through handleRequest with 10% client disconnects, on loopback.
// Afterwards nothing is left: no live request scope, no registered operation, no open connection,
// no listener on the server; the per-file leak check covers timers, sockets and process listeners.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { OperationRegistry } from '../../src/index.js';
import { fetch as fetchInScope, handleRequest } from '../../src/http/index.js';
import { liveRequests } from '../../src/http/request-source.js';
import { delay, listen } from './helpers.js';

const TOTAL = 10_000;
const CONCURRENCY = 32;

describe('load', () => {
  it('10,000 requests, 10% cut by the client: nothing left behind', async () => {
    const servers: { close(): Promise<void> }[] = [];
    const registry = new OperationRegistry();
    let downstreamOpen = 0;
    const downstream = await listen((_req, res) => {
      downstreamOpen++;
      res.on('close', () => downstreamOpen--);
      setTimeout(() => res.end('ok'), 2);
    });
    const outcomes = { received: 0, completed: 0, cancelled: 0, failed: 0 };
    const front = await listen((req, res) => {
      outcomes.received++;
      handleRequest(
        req,
        res,
        async (scope) => {
          await scope.sleep(1);
          if (req.url === '/call') await (await fetchInScope(downstream.url)).text();
          else await scope.sleep(3);
          res.end('done');
        },
        { timeout: 5_000, register: registry },
      ).then(
        () => (res.writableEnded && res.statusCode === 200 ? outcomes.completed++ : outcomes.cancelled++),
        () => outcomes.failed++,
      );
    });
    servers.push(front, downstream);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let next = 0;
    let ok = 0;
    let cut = 0;
    const one = (index: number): Promise<void> =>
      new Promise((resolve) => {
        const abort = index % 10 === 7; // 10%, spread evenly
        const req = http.request(`${front.url}${index % 2 === 0 ? '/call' : '/'}`, { agent: abort ? false : agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) ok++;
            resolve();
          });
        });
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        req.end();
        if (abort) {
          setTimeout(() => {
            req.destroy();
            cut++;
          }, 1 + (index % 3));
        }
      });
    const worker = async (): Promise<void> => {
      while (next < TOTAL) await one(next++);
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      agent.destroy();
    }
    try {

    // Let the server see the last closes.
    for (let i = 0; i < 100 && (liveRequests.size > 0 || outcomes.completed + outcomes.cancelled + outcomes.failed < outcomes.received); i++) await delay(20);
    expect(cut).toBe(TOTAL / 10);
    expect(ok).toBeGreaterThanOrEqual(TOTAL - cut - 5);
    expect(outcomes.failed).toBe(0);
    // A request cut before its headers were sent never reaches the server.
    expect(outcomes.received).toBeGreaterThan(TOTAL - cut);
    expect(outcomes.completed + outcomes.cancelled).toBe(outcomes.received);
    expect(outcomes.cancelled).toBeGreaterThan(0);
    expect(liveRequests.size).toBe(0);
    expect(registry.list()).toHaveLength(0);
    const connections = (): Promise<number> =>
      new Promise<number>((resolve, reject) => front.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    for (let i = 0; i < 100 && (await connections()) > 0; i++) await delay(20); // the client's keep-alive sockets closing
    expect(await connections()).toBe(0);
    for (let i = 0; i < 50 && downstreamOpen > 0; i++) await delay(20);
    expect(downstreamOpen).toBe(0);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  }, 120_000);
});
