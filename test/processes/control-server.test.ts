import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cancelable, OperationRegistry, type OperationContext } from '../../src/index.js';
import {
  ControlClient,
  ControlError,
  defaultSocketPath,
  findSocketCandidates,
  parseNamePattern,
  serveRegistry,
  type ControlRegistry,
  type ControlServer,
} from '../../src/processes/index.js';
import { firstLine, fixture, NODE, TSX_EXEC_ARGV, waitFor } from './helpers.js';
import { inScope } from '../harness/in-scope.js';

const isWindows = process.platform === 'win32';
const dir = mkdtempSync(join(tmpdir(), 'cbl-'));
let counter = 0;
const socketPath = (): string => (isWindows ? `\\\\.\\pipe\\cbl-test-${process.pid}-${++counter}` : join(dir, `s${++counter}.sock`));

const servers: ControlServer[] = [];
const clients: (ControlClient | RawClient)[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(registry: ControlRegistry, options: { path?: string; maxLineBytes?: number } = {}): Promise<ControlServer> {
  const server = await serveRegistry(registry, { path: socketPath(), ...options });
  servers.push(server);
  return server;
}

async function client(path: string): Promise<ControlClient> {
  const c = await ControlClient.connect({ path });
  clients.push(c);
  return c;
}

/** A client that writes raw bytes and reads raw response lines. */
class RawClient {
  readonly lines: Record<string, unknown>[] = [];
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
  }
  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        const raw = new RawClient(socket);
        clients.push(raw);
        resolve(raw);
      });
    });
  }
  write(text: string | Buffer): void {
    this.socket.write(text);
  }
  async waitForLines(count: number): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + 10_000;
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

/** Runs a registered operation until cancelled; resolves its run promise's outcome lazily. */
function startOperation(registry: OperationRegistry, name: string, parent?: Cancelable): { scope: Cancelable; done: Promise<unknown> } {
  const scope = new Cancelable({ name, register: registry, ...(parent ? { parent } : {}) });
  const done = scope.run((s) => s.sleep(60_000)).catch((error: unknown) => error);
  return { scope, done };
}

describe('registry.listen / serveRegistry', () => {
  it('lists, gets and cancels a running operation over the socket', async () => {
    const registry = new OperationRegistry();
    const server = await registry.listen({ path: socketPath() });
    servers.push(server);
    const { scope, done } = startOperation(registry, 'import-job');
    scope.reportProgress('Step 3/10', { step: 3 });
    const c = await client(server.path);

    const listed = await c.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: scope.id, name: 'import-job', status: 'running', progress: { message: 'Step 3/10' } });
    expect(await c.get(scope.id)).toMatchObject({ id: scope.id, name: 'import-job' });
    expect(await c.get('nope')).toBeNull();

    expect(await c.cancel(scope.id, 'Stopped from the socket')).toBe(true);
    const error = (await done) as Error;
    expect(error).toMatchObject({ reason: 'manual', message: 'Stopped from the socket' });
    expect(await c.cancel(scope.id)).toBe(false);
    expect(await c.list()).toEqual([]);
    const history = await c.history({ limit: 5 });
    expect(history.map((h: OperationContext) => h.status)).toEqual(['cancelled']);
    expect(await c.stats()).toMatchObject({ active: 0, ended: 1 });
    expect(await c.info()).toMatchObject({ pid: process.pid, node: process.version });
  });

  it('filters by status, name (substring or /regex/flags) and parentId; cancelAll with a message', async () => {
    const registry = new OperationRegistry();
    const server = await serve(registry);
    const parent = new Cancelable({ name: 'batch', register: registry });
    const outcomes: Promise<unknown>[] = [];
    const parentRun = parent.run(async (p) => {
      const a = startOperation(registry, 'job-1', p);
      const b = startOperation(registry, 'job-2', p);
      const other = startOperation(registry, 'report', p);
      outcomes.push(a.done, b.done, other.done);
      await p.sleep(60_000);
    });
    const c = await client(server.path);
    expect((await c.list({ name: 'JOB' })).map((o) => o.name)).toEqual(['job-1', 'job-2']);
    expect((await c.list({ name: /^job-\d$/ })).map((o) => o.name)).toEqual(['job-1', 'job-2']);
    expect((await c.list({ parentId: parent.id })).map((o) => o.name)).toEqual(['job-1', 'job-2', 'report']);
    expect((await c.list({ parentId: null })).map((o) => o.name)).toEqual(['batch']);
    expect(await c.list({ status: 'completed' })).toEqual([]);

    expect(await c.cancelAll({ name: /^JOB-/i }, 'maintenance')).toBe(2);
    const [a, b] = await Promise.all(outcomes.slice(0, 2));
    expect(a).toMatchObject({ message: 'maintenance' });
    expect(b).toMatchObject({ message: 'maintenance' });
    expect((await c.list()).map((o) => o.name)).toEqual(['batch', 'report']);
    parent.cancel();
    await parentRun.catch(() => undefined);
    await Promise.all(outcomes);
  });

  it('streams start, progress and end events to watchers until unwatch or disconnect', async () => {
    const real = new OperationRegistry();
    let subscriptions = 0;
    const registry: ControlRegistry = Object.assign(Object.create(real) as OperationRegistry, {
      subscribe(listener: Parameters<OperationRegistry['subscribe']>[0]) {
        subscriptions++;
        const off = real.subscribe(listener);
        return () => {
          subscriptions--;
          off();
        };
      },
    });
    const server = await serve(registry);
    const c = await client(server.path);
    const events: { type: string; name: string; status: string; progress: string | undefined }[] = [];
    const stop = await c.watch((event) =>
      events.push({ type: event.type, name: event.context.name, status: event.context.status, progress: event.context.progress?.message }),
    );
    expect(subscriptions).toBe(1);
    await new Cancelable({ name: 'watched', register: real }).run((s) => s.reportProgress('half way'));
    await waitFor(() => events.length === 3, 5_000, 'three events');
    expect(events).toEqual([
      { type: 'start', name: 'watched', status: 'running', progress: undefined },
      { type: 'progress', name: 'watched', status: 'running', progress: 'half way' },
      { type: 'end', name: 'watched', status: 'completed', progress: 'half way' },
    ]);
    await stop();
    expect(subscriptions).toBe(0);
    await new Cancelable({ name: 'unwatched', register: real }).run(() => undefined);

    // A second watcher that just disconnects is unsubscribed too.
    const raw = await RawClient.open(server.path);
    raw.write('{"id":"w","op":"watch"}\n');
    await raw.waitForLines(1);
    expect(subscriptions).toBe(1);
    raw.close();
    await waitFor(() => subscriptions === 0 && server.connections === 1, 5_000, 'the watcher to be dropped');
    expect(events).toHaveLength(3);
  });

  it('answers garbage with errors and never disturbs another client', async () => {
    const registry = new OperationRegistry();
    const server = await serve(registry, { maxLineBytes: 4096 });
    const { scope, done } = startOperation(registry, 'survivor');
    const good = await client(server.path);
    const bad = await RawClient.open(server.path);
    expect((await good.list()).map((o) => o.name)).toEqual(['survivor']);

    bad.write('this is not json\n');
    bad.write('[1,2,3]\n');
    bad.write('{"id":1,"op":"explode"}\n');
    bad.write('{"id":2}\n');
    bad.write('{"id":{"x":1},"op":"list"}\n');
    bad.write('{"id":3,"op":"cancel"}\n');
    bad.write('{"id":4,"op":"list","filter":{"status":"weird"}}\n');
    bad.write('{"id":5,"op":"list","filter":{"colour":"red"}}\n');
    bad.write('{"id":6,"op":"list","filter":{"name":"/([/"}}\n');
    bad.write(Buffer.from([0xff, 0xfe, 0x00, 0x0a]));
    bad.write('x'.repeat(10_000)); // oversized, arriving in pieces, then its newline
    bad.write(`${'y'.repeat(3_000)}\n`);
    bad.write('\n   \n'); // blank lines are ignored
    bad.write('{"id":7,"op":"list"}\r\n');
    const lines = await bad.waitForLines(12);

    const codes = lines.map((line) => [line.id, (line.error as { code?: string } | undefined)?.code ?? 'ok']);
    expect(codes).toEqual([
      [null, 'EPARSE'],
      [null, 'EBADREQUEST'],
      [1, 'EUNKNOWNOP'],
      [2, 'EBADREQUEST'],
      [null, 'EBADREQUEST'],
      [3, 'EBADREQUEST'],
      [4, 'EBADREQUEST'],
      [5, 'EBADREQUEST'],
      [6, 'ok'], // a name filter is a substring over the wire: '/([/' is no broken regex, just text
      [null, 'EPARSE'],
      [null, 'ETOOLONG'],
      [7, 'ok'],
    ]);
    expect(lines[2]!.error).toMatchObject({ message: expect.stringContaining('unknown op "explode"') });
    expect(lines[11]!.result).toHaveLength(1);

    // The other client was never disturbed, and the operation is untouched.
    expect((await good.list()).map((o) => o.name)).toEqual(['survivor']);
    expect(scope.isCancelled).toBe(false);
    expect(server.connections).toBe(2);
    scope.cancel();
    await done;
  });

  it('rejects a line over the default 1 MiB cap and keeps serving the same client', async () => {
    const server = await serve(new OperationRegistry());
    const raw = await RawClient.open(server.path);
    raw.write(`{"id":1,"op":"list","pad":"${'z'.repeat(1024 * 1024 + 10)}"}\n{"id":2,"op":"stats"}\n`);
    const lines = await raw.waitForLines(2);
    expect(lines[0]).toMatchObject({ id: null, ok: false, error: { code: 'ETOOLONG' } });
    expect(lines[1]).toMatchObject({ id: 2, ok: true });
  });

  it.skipIf(isWindows)('creates the socket owner-only (0600)', async () => {
    const server = await serve(new OperationRegistry());
    expect(statSync(server.path).isSocket()).toBe(true);
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
  });

  it.skipIf(isWindows)('replaces a stale socket file left by a dead process', async () => {
    const path = socketPath();
    await new Cancelable().run(async (s) => {
      const holder = inScope(s).spawn(NODE, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
      await firstLine(holder.child!.stdout);
      process.kill(holder.child!.pid!, 'SIGKILL');
      await holder;
    });
    expect(statSync(path).isSocket()).toBe(true);
    await expect(ControlClient.connect({ path })).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('stale socket') });
    const server = await serve(new OperationRegistry(), { path });
    const c = await client(server.path);
    expect(await c.list()).toEqual([]);
  });

  it.skipIf(isWindows)('refuses a path where another process listens, and a path that is not a socket', async () => {
    const live = await serve(new OperationRegistry());
    await expect(serveRegistry(new OperationRegistry(), { path: live.path })).rejects.toMatchObject({
      code: 'EADDRINUSE',
      message: expect.stringContaining('is in use: a control endpoint (of this or another process) is listening on it'),
    });
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'keep me');
    await expect(serveRegistry(new OperationRegistry(), { path: file })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('close() disconnects clients, removes the socket file and its exit hook', async () => {
    const exitListeners = process.listenerCount('exit');
    const server = await serveRegistry(new OperationRegistry(), { path: socketPath() });
    expect(process.listenerCount('exit')).toBe(exitListeners + 1);
    const c = await client(server.path);
    await c.watch(() => undefined);
    const pending = c.closed;
    await server.close();
    await server.close(); // idempotent
    await pending;
    await expect(c.list()).rejects.toMatchObject({ code: 'ECLOSED' });
    expect(process.listenerCount('exit')).toBe(exitListeners);
    if (!isWindows) expect(existsSync(server.path)).toBe(false);
  });

  it.skipIf(isWindows)('never keeps the process alive, and the socket file goes when the process exits', async () => {
    const path = socketPath();
    const { code, stdout } = await new Cancelable().run((s) =>
      inScope(s).spawn(NODE, [...TSX_EXEC_ARGV, fixture('listen-and-return.ts'), path]),
    );
    expect(code).toBe(0);
    expect(stdout).toBe(`listening on ${path}\n`);
    expect(existsSync(path)).toBe(false);
  });

  it('validates its arguments', async () => {
    const registry = new OperationRegistry();
    await expect(serveRegistry({} as ControlRegistry)).rejects.toThrow(/registry must be an OperationRegistry \(missing list\(\)\)/);
    await expect(serveRegistry(registry, { path: 42 as unknown as string })).rejects.toThrow(/options.path must be a string/);
    if (!isWindows) {
      await expect(serveRegistry(registry, { path: join(dir, 'x'.repeat(120)) })).rejects.toThrow(RangeError);
      await expect(serveRegistry(registry, { path: join(dir, 'missing', 's.sock') })).rejects.toThrow(/its directory does not exist/);
    }
  });

  it('ControlClient explains what is (not) at a path', async () => {
    await expect(ControlClient.connect({ path: join(dir, 'nobody.sock') })).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining('nothing listens at'),
    });
    await expect(ControlClient.connect({ pid: 999_999_999 })).rejects.toBeInstanceOf(ControlError);
    expect(() => ControlClient.connect({})).toThrow(/options.path or options.pid is required/);
  });

  it.skipIf(isWindows)('finds default sockets by pid', async () => {
    const env = { CANCELABLE_SOCKET_DIR: dir };
    expect(defaultSocketPath(1234, env)).toBe(join(dir, 'cancelable-1234.sock'));
    const server = await serve(new OperationRegistry(), { path: defaultSocketPath(process.pid, env) });
    expect(await findSocketCandidates(dir)).toContainEqual({ pid: process.pid, path: server.path });
  });

  it('parses /regex/flags name patterns', () => {
    expect(parseNamePattern('/^job-\\d+$/gi')).toEqual(/^job-\d+$/i);
    expect(parseNamePattern('job')).toBe('job');
    expect(parseNamePattern('/')).toBe('/');
    expect(() => parseNamePattern('/(/')).toThrow(/not a valid regular expression/);
  });
});
