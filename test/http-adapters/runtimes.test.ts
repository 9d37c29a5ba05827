/**
 * "Any runtime": the Hono middleware on Bun (Bun.serve) and Deno (Deno.serve), both installed from
 * npm, driven by real node:http clients on 127.0.0.1. A route timeout answers 503; a client that
 * leaves cancels the handler with reason `disconnect` (the runtime aborts the web Request's signal).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from './clients.js';

const root = resolve(import.meta.dirname, '../..');
const fixture = 'test/http-adapters/fixtures/hono-runtime.ts';

describe.each(['bun', 'deno'] as const)('%s', (runtime) => {
  let child: ChildProcess;
  let origin: string;
  const lines: string[] = [];

  function waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    return new Promise((resolvePromise, reject) => {
      const check = (): boolean => {
        for (const line of lines) {
          const match = pattern.exec(line);
          if (match) {
            resolvePromise(match);
            return true;
          }
        }
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        child.stdout!.off('data', onData);
        reject(new Error(`no line ${String(pattern)} from ${runtime}; got:\n${lines.join('\n')}`));
      }, timeoutMs);
      const onData = (): void => {
        if (check()) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
        }
      };
      child.stdout!.on('data', onData);
    });
  }

  beforeAll(async () => {
    const args = runtime === 'bun' ? ['run', fixture] : ['run', '-A', '--sloppy-imports', fixture];
    child = spawn(join(root, 'node_modules/.bin', runtime), args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
    });
    child.stderr!.resume();
    const [, port] = await waitForLine(/^listening (\d+)$/);
    origin = `http://127.0.0.1:${port}`;
  }, 30_000);

  afterAll(async () => {
    child.stdin!.end();
    await new Promise((done) => (child.exitCode !== null ? done(undefined) : child.once('exit', done)));
  });

  it(`Hono on ${runtime}: a route timeout answers 503`, async () => {
    const reply = await request(origin, '/timeout');
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('Request timed out\n');
  });

  it(`Hono on ${runtime}: an sseResponse body outlives the handler and the route timeout ends it with a final event`, async () => {
    const reply = await request(origin, '/events?id=sse');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = reply.body.trimEnd().split('\n\n');
    expect(events[0]).toBe('data: {"n":0}');
    expect(events.length).toBeGreaterThan(3);
    expect(events.at(-1)).toMatch(/^event: cancelled\ndata: \{"reason":"timeout"/);
    await waitForLine(/^closed sse \d+$/);
  });

  it(`Hono on ${runtime}: a client that leaves an sseResponse stream closes its source`, async () => {
    const req = http.get(`${origin}/events?id=left`, (res) => res.resume());
    req.on('error', () => {});
    await new Promise((done) => setTimeout(done, 50));
    req.destroy();
    await waitForLine(/^closed left \d+$/);
  });

  it(`Hono on ${runtime}: a client that leaves cancels the handler with reason disconnect`, async () => {
    const req = http.get(`${origin}/wait?id=gone`);
    req.on('error', () => {});
    await new Promise((done) => setTimeout(done, 100));
    req.destroy();
    await waitForLine(/^outcome gone disconnect$/);
  });
});
