/** Helpers for the control endpoint's security tests: raw sockets, the CLI in-process, another uid. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { OperationRegistry } from '../../src/index.js';
import { serveRegistry, type ControlRegistry, type ControlServer } from '../../src/processes/index.js';
import { runCli, type CliIO } from '../../src/cli/run.js';

/** The uid/gid of `nobody` when this process may act as it (root), else undefined. */
export function otherUser(): { uid: number; gid: number } | undefined {
  if (process.platform === 'win32' || process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && uid > 0 ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the CLI in this process and captures its output. */
export async function runHere(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  extra: Partial<CliIO> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...process.env, ...env },
    ...extra,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** A client that writes raw bytes and reads raw response lines; `paused` ones never read. */
export class RawClient {
  readonly lines: Record<string, unknown>[] = [];
  readonly closed: Promise<void>;
  #buffer = '';
  #waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = this.#buffer.indexOf('\n')) !== -1) {
        this.lines.push(JSON.parse(this.#buffer.slice(0, newline)) as Record<string, unknown>);
        this.#buffer = this.#buffer.slice(newline + 1);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }
  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }
  write(text: string): void {
    this.socket.write(text);
  }
  async waitForLines(count: number, timeoutMs = 10_000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} lines, got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.lines;
  }
  close(): void {
    this.socket.destroy();
  }
}

/** Resolves when `promise` settles or after `ms`, saying which. */
export function within<T>(promise: Promise<T>, ms: number): Promise<'settled' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve('settled');
      },
      () => {
        clearTimeout(timer);
        resolve('settled');
      },
    );
  });
}

/**
 * What a control-endpoint test file shares: fresh socket directories under one temp root (removed
 * after the file), and the servers, raw clients and cleanups of each test closed after it.
 */
export function controlBench(prefix: string): {
  freshDir(): string;
  socketPath(): string;
  serve(registry?: ControlRegistry, options?: Parameters<typeof serveRegistry>[1]): Promise<ControlServer>;
  serveAt(path: string): Promise<ControlServer>;
  raw(path: string): Promise<RawClient>;
  keep(client: RawClient): RawClient;
  cleanups: (() => void | Promise<void>)[];
} {
  const root = mkdtempSync(join(tmpdir(), `cbl-${prefix}-`));
  let counter = 0;
  const servers: ControlServer[] = [];
  const raws: RawClient[] = [];
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const raw of raws.splice(0)) raw.close();
    for (const server of servers.splice(0)) await server.close();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const freshDir = (): string => mkdtempSync(join(root, `d${++counter}-`));
  const serveAt = async (path: string, registry: ControlRegistry = new OperationRegistry(), options: Parameters<typeof serveRegistry>[1] = {}): Promise<ControlServer> => {
    const server = await serveRegistry(registry, { path, ...options });
    servers.push(server);
    return server;
  };
  const keep = (client: RawClient): RawClient => {
    raws.push(client);
    return client;
  };
  const socketPath = (): string => (process.platform === 'win32' ? `\\\\.\\pipe\\cbl-${prefix}-${process.pid}-${++counter}` : join(freshDir(), 's.sock'));
  return {
    freshDir,
    socketPath,
    serve: (registry, options) => serveAt(socketPath(), registry, options),
    serveAt: (path) => serveAt(path),
    raw: async (path) => keep(await RawClient.open(path)),
    keep,
    cleanups,
  };
}
