// gracefulShutdown (SPEC §10): drain, 503 + Connection: close for new requests, cancellation with
// reason signal, shields, socket destruction; real signals sent to a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SignalCancelation } from '../../src/index.js';
import { gracefulShutdown, handleRequest, type ShutdownHandle } from '../../src/http/index.js';
import { TSX_ENTRY } from '../harness/leaks.js';
import { deferred, delay, get, listen } from './helpers.js';

/** Sends raw HTTP/1.1 requests on one keep-alive socket; collects everything the server writes. */
function rawClient(port: number): { send(path: string): void; text(): string; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    send: (path) => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`),
    text: () => text,
    closed,
  };
}

describe('gracefulShutdown in process', () => {
  const handles: ShutdownHandle[] = [];
  afterEach(() => {
    for (const handle of handles.splice(0)) handle.close();
  });

  it('drains: in-flight requests finish, a new request on an open connection gets 503 + Connection: close', async () => {
    const entered = deferred();
    const started = await listen((req, res) => {
      void handleRequest(req, res, async (scope) => {
        entered.resolve();
        await scope.sleep(150);
        res.end('finished');
      });
    });
    const handle = gracefulShutdown(started.server, { signals: [], drainMs: 5_000, graceMs: 1_000 });
    handles.push(handle);
    const client = rawClient(started.port);
    client.send('/slow');
    await entered.promise;
    const done = handle.shutdown();
    expect(handle.state).toBe('draining');
    client.send('/late');
    const result = await done;
    await client.closed;
    expect(result).toMatchObject({ drained: true, cancelled: 0, exitCode: 0, signal: undefined });
    const text = client.text();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*finished/);
    expect(text).toMatch(/HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*[Cc]onnection: close[\s\S]*Server shutting down/);
    expect(started.server.listening).toBe(false);
    expect(handle.state).toBe('closed');
  });

  it('cancels what outlives the drain with reason signal (503 + Connection: close), waits for shields, destroys the rest', async () => {
    const outcomes: unknown[] = [];
    const shieldDone = deferred<number>();
    const entered = deferred();
    let waiting = 0;
    const started = await listen((req, res) => {
      void handleRequest(req, res, async (scope) => {
        if (++waiting === 2) entered.resolve();
        if (req.url === '/shield') {
          await scope.sleep(10_000).catch((error: unknown) => outcomes.push(error));
          await scope.shield(async () => {
            await delay(100);
            shieldDone.resolve(performance.now());
          });
        }
        await scope.sleep(10_000);
      });
    });
    // A bare connection with no request: destroyed at the end.
    const idle = net.connect(started.port, '127.0.0.1');
    idle.on('error', () => {});
    const idleClosed = new Promise((resolve) => idle.on('close', resolve));
    const handle = gracefulShutdown(started.server, { signals: [], drainMs: 50, graceMs: 2_000 });
    handles.push(handle);
    const plain = get(`${started.url}/plain`);
    const shielded = get(`${started.url}/shield`);
    await entered.promise;
    const result = await handle.shutdown('SIGTERM');
    const endedAt = performance.now();
    expect(result).toMatchObject({ drained: false, cancelled: 2, abandoned: 0, signal: 'SIGTERM', exitCode: 143 });
    expect(outcomes[0]).toBeInstanceOf(SignalCancelation);
    expect((outcomes[0] as SignalCancelation).signal).toBe('SIGTERM');
    expect(await shieldDone.promise).toBeLessThanOrEqual(endedAt);
    const reply = await plain;
    expect(reply.status).toBe(503);
    expect(reply.headers.connection).toBe('close');
    expect((await shielded).status).toBe(503);
    await idleClosed;
  });

  it('a second call skips the drain; close() removes every signal handler', async () => {
    const before = process.listenerCount('SIGTERM');
    const entered = deferred();
    const started = await listen((req, res) => {
      void handleRequest(req, res, async (scope) => {
        entered.resolve();
        await scope.sleep(10_000);
      });
    });
    const handle = gracefulShutdown(started.server, { drainMs: 60_000, graceMs: 1_000 });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    const reply = get(started.url);
    await entered.promise;
    const t0 = performance.now();
    const first = handle.shutdown();
    await delay(30);
    void handle.shutdown();
    const result = await first;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(result.cancelled).toBe(1);
    expect((await reply).status).toBe(503);
    expect(process.listenerCount('SIGTERM')).toBe(before);
    handle.close();
    const other = gracefulShutdown(started.server, { signals: ['SIGUSR2'] });
    expect(process.listenerCount('SIGUSR2')).toBe(1);
    other.close();
    expect(process.listenerCount('SIGUSR2')).toBe(0);
    expect(started.server.listenerCount('request')).toBe(1);
  });

  it('rejects bad input naming it', () => {
    expect(() => gracefulShutdown({} as http.Server)).toThrow(/servers must be a node:http, https or http2 server/);
    const server = http.createServer();
    expect(() => gracefulShutdown(server, { signals: ['SIGNOPE' as NodeJS.Signals] })).toThrow(/options\.signals\[0\].*SIGNOPE/);
    expect(() => gracefulShutdown(server, { drainMs: -5 })).toThrow(/options\.drainMs/);
    expect(() => gracefulShutdown(server, { grace: 5 } as never)).toThrow(/grace/);
  });
});

describe('gracefulShutdown with real signals in a child process', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  async function server(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; exit: Promise<number | null>; output: () => string }> {
    const fixture = fileURLToPath(new URL('./fixtures/shutdown-server.ts', import.meta.url));
    const child = spawn(process.execPath, [TSX_ENTRY, fixture], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        const match = /listening (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
    });
    const exit = new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
    return { child, url: `http://127.0.0.1:${port}`, exit, output: () => output };
  }

  it('SIGTERM with requests that finish within the drain: they complete, the process exits 0', async () => {
    const { child, url, exit } = await server({ SLOW_MS: '300', DRAIN_MS: '5000' });
    const reply = get(`${url}/slow`);
    await delay(100);
    process.kill(child.pid!, 'SIGTERM');
    expect(await reply).toMatchObject({ status: 200, text: 'slow done' });
    expect(await exit).toBe(0);
  });

  it('SIGTERM with a request that outlives the drain: 503 + Connection: close, shields finish, exit 143', async () => {
    const { child, url, exit, output } = await server({ SLOW_MS: '10000', DRAIN_MS: '100', GRACE_MS: '2000' });
    const reply = get(`${url}/shielded`);
    await delay(150);
    process.kill(child.pid!, 'SIGTERM');
    const answer = await reply;
    expect(answer.status).toBe(503);
    expect(answer.headers.connection).toBe('close');
    expect(await exit).toBe(143);
    expect(output()).toContain('shield finished');
  });

  it('a second signal skips the drain (exit 128 + the first signal)', async () => {
    const { child, url, exit } = await server({ SLOW_MS: '10000', DRAIN_MS: '60000' });
    const reply = get(`${url}/slow`);
    await delay(150);
    const t0 = performance.now();
    process.kill(child.pid!, 'SIGINT');
    await delay(100);
    expect(child.exitCode).toBeNull(); // still draining
    process.kill(child.pid!, 'SIGINT');
    expect((await reply).status).toBe(503);
    expect(await exit).toBe(130);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
