/**
 * Real servers for the distributed tests. `useRedis()` / `usePostgres()` return the machine's server
 * (REDIS_URL / DATABASE_URL, else 127.0.0.1:6379 and 127.0.0.1:5432 database `test`); when nothing
 * answers, they start a private server from the installed binaries in a temp folder; when none is
 * installed, they throw an error saying what to install. Never a silent skip.
 *
 * `PrivateRedis` / `PrivatePostgres` are also used directly by the tests that restart a server: only a
 * server the test started is ever restarted, never the machine's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A random namespace, so parallel test files never share keys, tables or channels. */
export function uniqueNamespace(prefix: string): string {
  return `t_${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A server for one test file: its URL, and `stop()` (a no-op for the machine's own server). */
export interface TestServer {
  readonly url: string;
  readonly private: boolean;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------- helpers

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, command);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const done = exited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- Redis

/** Whether a Redis answers at `url` (any RESP reply to PING counts: an AUTH error still means a server). */
export function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^[+-]/.test(data.toString('latin1'))));
    socket.once('error', () => done(false));
  });
}

/** A redis-server this test started, on a free port, in a temp folder. */
export class PrivateRedis {
  readonly port: number;
  readonly url: string;
  readonly #dir: string;
  readonly #binary: string;
  readonly #args: string[];
  #child: ChildProcess | undefined;

  private constructor(binary: string, port: number, dir: string, args: string[]) {
    this.#binary = binary;
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#dir = dir;
    this.#args = args;
  }

  /** Starts one. `persistence: 'aof'` keeps every write across restarts (appendfsync always). */
  static async start(options: { persistence?: 'none' | 'aof' } = {}): Promise<PrivateRedis> {
    const binary = which('redis-server');
    if (binary === undefined) {
      throw new Error('redis-server is not installed: install it (apt-get install redis-server) to run the distributed tests');
    }
    const dir = mkdtempSync(join(tmpdir(), 'cancelable-redis-'));
    const persistence = options.persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const args = ['--bind', '127.0.0.1', '--save', '', '--dir', dir, ...persistence];
    const server = new PrivateRedis(binary, await freePort(), dir, args);
    await server.#launch();
    return server;
  }

  async #launch(): Promise<void> {
    const child = spawn(this.#binary, ['--port', String(this.port), ...this.#args], { stdio: 'ignore' });
    this.#child = child;
    await waitUntil(`redis-server on ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited with ${child.exitCode}`);
      return redisAnswers(this.url, 300);
    });
  }

  /** Stops the server (SIGKILL: a crash, or SIGTERM: a clean shutdown) and starts it again on the same port. */
  async restart(options: { signal?: NodeJS.Signals; downMs?: number } = {}): Promise<void> {
    if (this.#child !== undefined) await stopChild(this.#child, options.signal ?? 'SIGKILL');
    if (options.downMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.downMs));
    await this.#launch();
  }

  async stop(): Promise<void> {
    if (this.#child !== undefined) await stopChild(this.#child, 'SIGTERM');
    this.#child = undefined;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** The Redis of the machine (or REDIS_URL); a private one when nothing answers. */
export async function useRedis(): Promise<TestServer> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) return { url, private: false, stop: async () => undefined };
  if (which('redis-server') === undefined) {
    throw new Error(
      `No Redis answers at ${url} and redis-server is not installed. Install Redis (apt-get install redis-server), start it, or set REDIS_URL.`,
    );
  }
  const server = await PrivateRedis.start();
  return { url: server.url, private: true, stop: () => server.stop() };
}

// ---------------------------------------------------------------- PostgreSQL

/** Whether a PostgreSQL accepts a connection at `url`. */
export async function postgresAnswers(url: string, timeoutMs = 2_000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  return undefined;
}

/** uid/gid of the `postgres` user when running as root (initdb and postgres refuse to run as root). */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const { readFileSync } = await import('node:fs');
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postgres:'));
  if (line === undefined) throw new Error('running as root and there is no postgres user to run a private PostgreSQL');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A PostgreSQL this test started (initdb in a temp folder, a free port, trust auth). */
export class PrivatePostgres {
  readonly port: number;
  readonly url: string;
  readonly #bin: string;
  readonly #dir: string;
  readonly #user: { uid: number; gid: number } | undefined;
  #child: ChildProcess | undefined;

  private constructor(bin: string, port: number, dir: string, user: { uid: number; gid: number } | undefined) {
    this.#bin = bin;
    this.port = port;
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    this.#dir = dir;
    this.#user = user;
  }

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBin();
    if (bin === undefined) {
      throw new Error('PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin): apt-get install postgresql');
    }
    const user = await postgresUser();
    const dir = mkdtempSync(join(tmpdir(), 'cancelable-pg-'));
    if (user !== undefined) chownSync(dir, user.uid, user.gid);
    const server = new PrivatePostgres(bin, await freePort(), dir, user);
    await server.#run(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await server.#launch();
    return server;
  }

  #run(command: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { stdio: 'ignore', ...this.#user });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
    });
  }

  async #launch(): Promise<void> {
    const args = ['-D', join(this.#dir, 'data'), '-p', String(this.port), '-k', this.#dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
    const child = spawn(join(this.#bin, 'postgres'), args, { stdio: 'ignore', ...this.#user });
    this.#child = child;
    await waitUntil(`PostgreSQL on ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`postgres on ${this.port} exited with ${child.exitCode}`);
      return postgresAnswers(this.url, 500);
    });
  }

  /** Stops the server (SIGINT: fast shutdown; SIGQUIT: immediate) and starts it again on the same port. */
  async restart(options: { signal?: NodeJS.Signals; downMs?: number } = {}): Promise<void> {
    if (this.#child !== undefined) await stopChild(this.#child, options.signal ?? 'SIGINT');
    if (options.downMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.downMs));
    await this.#launch();
  }

  async stop(): Promise<void> {
    if (this.#child !== undefined) await stopChild(this.#child, 'SIGINT');
    this.#child = undefined;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** The PostgreSQL of the machine (or DATABASE_URL); a private one when nothing answers. */
export async function usePostgres(): Promise<TestServer> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (await postgresAnswers(url)) return { url, private: false, stop: async () => undefined };
  if (postgresBin() === undefined) {
    throw new Error(
      `No PostgreSQL answers at ${url} and PostgreSQL is not installed. Install it (apt-get install postgresql), start it, or set DATABASE_URL.`,
    );
  }
  const server = await PrivatePostgres.start();
  return { url: server.url, private: true, stop: () => server.stop() };
}
