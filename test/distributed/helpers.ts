/** Shared helpers of the distributed tests: clients of both flavours, child processes, waits. */
import { spawn, type ChildProcess } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createClient } from 'redis';
import type { RemoteErrorDiagnostic } from '../../src/redis/index.js';

export type Flavor = 'ioredis' | 'node-redis';
export const FLAVORS: readonly Flavor[] = ['ioredis', 'node-redis'];

/** A connected client of the given flavour, and how to close it. */
export interface TestClient {
  readonly client: object;
  /** Runs a raw command (for the tests' own checks). */
  command(args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** A connected Redis client. `reconnectMs` fixes the delay before each reconnect (the gap a test needs). */
export async function redisClient(flavor: Flavor, url: string, options: { reconnectMs?: number } = {}): Promise<TestClient> {
  if (flavor === 'ioredis') {
    const client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      ...(options.reconnectMs === undefined ? {} : { retryStrategy: () => options.reconnectMs }),
    });
    client.on('error', () => undefined);
    await client.connect();
    return {
      client,
      command: ([name, ...args]) => client.call(name!, ...args),
      close: async () => {
        if (client.status === 'end') return;
        const ended = new Promise((resolve) => client.once('end', resolve));
        client.disconnect();
        await ended;
      },
    };
  }
  const client = createClient({
    url,
    socket: { reconnectStrategy: () => options.reconnectMs ?? 50 },
  });
  client.on('error', () => undefined);
  await client.connect();
  return {
    client,
    command: (args) => client.sendCommand(args),
    close: async () => {
      if (!client.isOpen) return;
      const ended = new Promise((resolve) => client.once('end', resolve));
      client.destroy();
      await ended;
    },
  };
}

/** A pg Pool on `url` (ended by the test). */
export function pgPool(url: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}

/** Collects `cancelable:remote-error` reports while the test runs. */
export function collectRemoteErrors(): { events: RemoteErrorDiagnostic[]; stop(): void } {
  const events: RemoteErrorDiagnostic[] = [];
  const listener = (message: unknown): void => {
    events.push(message as RemoteErrorDiagnostic);
  };
  diagnosticsChannel.subscribe('cancelable:remote-error', listener);
  return { events, stop: () => diagnosticsChannel.unsubscribe('cancelable:remote-error', listener) };
}

/** Polls `probe` (sync or async) every 20 ms until it is truthy; throws after `timeoutMs` saying what. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- child processes

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/**
 * A fixture (plain ESM against the built package: call `ensureBuilt()` first) running in a child
 * process, speaking JSON lines on stdout and stdin.
 */
export class FixtureProcess {
  readonly child: ChildProcess;
  readonly messages: Array<Record<string, unknown>> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr = '';
  #waiters: Array<() => void> = [];

  constructor(file: string, args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [fixture(file), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.messages.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.messages.push({ type: 'text', line });
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.#stderr += text));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with the first message of this type (already received or to come). */
  async next(type: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((message) => message.type === type);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`fixture exited (${this.child.exitCode ?? this.child.signalCode}) before '${type}'; stderr:\n${this.#stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for '${type}' from the fixture; got ${JSON.stringify(this.messages)}; stderr:\n${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Ends the process (SIGKILL unless it already exited) and waits for it. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

// ---------------------------------------------------------------- a gate in front of a server

/**
 * A TCP forwarder in front of a server. While `closed`, new connections are refused (accepted and
 * destroyed at once): a client whose connection was killed cannot reconnect until `open()`. That
 * gives a test a real gap in which to send a cancel, whatever the client's reconnect policy.
 */
export class TcpGate {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #closed = false;
  port = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async open(target: { host: string; port: number }): Promise<TcpGate> {
    const server = createServer();
    const gate = new TcpGate(server);
    server.on('connection', (socket) => {
      if (gate.#closed) {
        socket.destroy();
        return;
      }
      const upstream = connect(target);
      for (const s of [socket, upstream]) {
        gate.#sockets.add(s);
        s.on('close', () => gate.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      socket.pipe(upstream).pipe(socket);
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gate.port = (server.address() as { port: number }).port;
    return gate;
  }

  /** The URL of `url`'s server through this gate. */
  through(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Refuse new connections (existing ones stay). */
  refuse(): void {
    this.#closed = true;
  }

  /** Accept connections again. */
  accept(): void {
    this.#closed = false;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The error `promise` rejects with (a cancellation, typically); fails the test if it resolves. */
export function rejection(promise: Promise<unknown>): Promise<Error & { reason?: string }> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error as Error & { reason?: string },
  );
}
