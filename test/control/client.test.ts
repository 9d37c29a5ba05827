// ControlClient against the real endpoint and against foreign servers on real Unix sockets (a
// server that answers what a test scripts): every check of its options, every kind of line a
// server may send, and what is at the path before it connects (mutation testing, docs/reliability.md).
import { chmodSync, linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cancelable, OperationRegistry } from '../../src/index.js';
import { ControlClient, ControlError, serveRegistry, type ControlServer } from '../../src/processes/index.js';
import type { ControlEvent } from '../../src/control/protocol.js';

const isWindows = process.platform === 'win32';
const root = mkdtempSync(join(tmpdir(), 'cbl-client-'));
let counter = 0;
const freshDir = (): string => mkdtempSync(join(root, `d${++counter}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const clients: ControlClient[] = [];
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connect(options: Parameters<typeof ControlClient.connect>[0]): Promise<ControlClient> {
  const client = await ControlClient.connect(options);
  clients.push(client);
  return client;
}

async function serve(registry: OperationRegistry): Promise<ControlServer> {
  const server = await serveRegistry(registry, { path: join(freshDir(), 's.sock') });
  cleanups.push(() => server.close());
  return server;
}

function runOperation(registry: OperationRegistry, name: string): Cancelable {
  const scope = new Cancelable({ name, register: registry });
  const done = scope.run((s) => s.sleep(60_000)).catch(() => undefined);
  cleanups.push(async () => {
    scope.cancel();
    await done;
  });
  return scope;
}

/**
 * A foreign server: `answer` gets each request (parsed) and the socket, and writes what it likes.
 * Returns the path and the requests seen.
 */
async function foreignServer(answer: (request: Record<string, unknown>, socket: Socket) => void): Promise<{ path: string; requests: Record<string, unknown>[] }> {
  const path = join(freshDir(), 'foreign.sock');
  const requests: Record<string, unknown>[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const request = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        requests.push(request);
        answer(request, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { path, requests };
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;

describe('ControlClient.connect: its options', () => {
  it('names what is wrong', () => {
    expect(() => ControlClient.connect('x' as never)).toThrow(new TypeError('options must be an options object, got "x"'));
    expect(() => ControlClient.connect({ path: 5 as never })).toThrow(new TypeError('options.path must be a string, got 5'));
    expect(() => ControlClient.connect({ path: '' })).toThrow(new RangeError('options.path must not be empty'));
    expect(() => ControlClient.connect({})).toThrow(new TypeError('options.path or options.pid is required'));
    expect(() => ControlClient.connect({ pid: 0 })).toThrow(new RangeError('options.pid must be an integer >= 1, got 0'));
    expect(() => ControlClient.connect({ path: '/x', timeoutMs: -1 })).toThrow(/^options\.timeoutMs must be/);
    expect(() => ControlClient.connect({ path: '/x', requestTimeoutMs: -1 })).toThrow(/^options\.requestTimeoutMs must be/);
    expect(() => ControlClient.connect({ path: '/x', maxResponseBytes: 0 })).toThrow(new RangeError('options.maxResponseBytes must be an integer >= 1, got 0'));
    expect(() => ControlClient.connect({ path: '/x', requireOwner: 1 as never })).toThrow(new TypeError('options.requireOwner must be a boolean, got 1'));
  });

  it('requestTimeoutMs 0 waits as long as the server takes; a positive one gives up', async () => {
    const { path } = await foreignServer((request, socket) => {
      const timer = setTimeout(() => socket.write(line({ id: request.id, ok: true, result: 'late' })), 150);
      cleanups.push(() => clearTimeout(timer));
    });
    const patient = await connect({ path, requestTimeoutMs: 0 });
    expect(await patient.request('stats')).toBe('late');
    const hasty = await connect({ path, requestTimeoutMs: 30 });
    await expect(hasty.request('stats')).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: `no answer to 'stats' from ${path} within 30 ms; disconnected`,
    });
    await hasty.closed;
  });

  it('the default response cap is far above one long line (64 MiB)', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const { path } = await foreignServer((request, socket) => socket.write(line({ id: request.id, ok: true, result: big })));
    const client = await connect({ path });
    expect(await client.request('stats')).toBe(big);
    const capped = await connect({ path, maxResponseBytes: 1024 * 1024 });
    await expect(capped.request('stats')).rejects.toMatchObject({
      code: 'ETOOLONG',
      message: `a response line from ${path} exceeded ${1024 * 1024} bytes; disconnected`,
    });
  });
});

describe.skipIf(isWindows)('ControlClient.connect: what is at the path', () => {
  it('a directory, a symbolic link, a FIFO: each named, none connected to', async () => {
    const dir = freshDir();
    const server = await serve(new OperationRegistry());
    await expect(ControlClient.connect({ path: dir })).rejects.toMatchObject({ code: 'ENOTSOCK', message: `${dir} is a directory, not a control socket` });
    const link = join(dir, 'link.sock');
    symlinkSync(server.path, link);
    await expect(ControlClient.connect({ path: link })).rejects.toMatchObject({ code: 'ENOTSOCK', message: `${link} is a symbolic link, not a control socket` });
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(ControlClient.connect({ path: fifo })).rejects.toMatchObject({ code: 'ENOTSOCK', message: `${fifo} is not a socket, not a control socket` });
    const file = join(dir, 'file');
    writeFileSync(file, '');
    await expect(ControlClient.connect({ path: file })).rejects.toMatchObject({ code: 'ENOTSOCK', message: `${file} is a regular file, not a control socket` });
  });

  it('a path it cannot look at is left to connect(), which says why', async () => {
    const file = join(freshDir(), 'file');
    writeFileSync(file, '');
    const path = join(file, 's.sock'); // lstat: ENOTDIR
    const error = await ControlClient.connect({ path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({ code: 'ENOTDIR', message: expect.stringMatching(new RegExp(`^cannot connect to ${path}: .*ENOTDIR`)) });
    expect((error as ControlError).cause).toMatchObject({ code: 'ENOTDIR' });
  });

  it('nothing there: says which process is not listening', async () => {
    const dir = freshDir();
    const saved = process.env.CANCELABLE_SOCKET_DIR;
    process.env.CANCELABLE_SOCKET_DIR = dir;
    try {
      await expect(ControlClient.connect({ pid: 4242 })).rejects.toMatchObject({
        code: 'ENOENT',
        message: `nothing listens at ${join(dir, 'cancelable-4242.sock')}: process 4242 is not running or has not called registry.listen()`,
      });
    } finally {
      if (saved === undefined) delete process.env.CANCELABLE_SOCKET_DIR;
      else process.env.CANCELABLE_SOCKET_DIR = saved;
    }
    const path = join(dir, 'none.sock');
    const error = await ControlClient.connect({ path }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ENOENT',
      message: `nothing listens at ${path}: a process is not running or has not called registry.listen()`,
    });
    expect((error as ControlError).cause).toMatchObject({ code: 'ENOENT', syscall: 'connect' });
  });

  it('a stale socket (its process gone) is ECONNREFUSED, with the cause', async () => {
    const dir = freshDir();
    const server = await serveRegistry(new OperationRegistry(), { path: join(dir, 's.sock') });
    const keep = join(dir, 'keep.sock');
    linkSync(server.path, keep); // survives close(): nobody listens there any more
    await server.close();
    const error = await ControlClient.connect({ path: keep }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({
      code: 'ECONNREFUSED',
      message: `stale socket at ${keep}: the process that created it is gone (the next registry.listen() there replaces it)`,
    });
    expect((error as ControlError).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('its own socket by pid is trusted (requireOwner); so is a path named explicitly', async () => {
    const dir = freshDir();
    const registry = new OperationRegistry();
    const server = await serveRegistry(registry, { path: join(dir, `cancelable-${process.pid}.sock`) });
    cleanups.push(() => server.close());
    chmodSync(server.path, 0o600);
    const saved = process.env.CANCELABLE_SOCKET_DIR;
    process.env.CANCELABLE_SOCKET_DIR = dir;
    try {
      const byPid = await connect({ pid: process.pid });
      expect(await byPid.list()).toEqual([]);
      const owned = await connect({ path: server.path, requireOwner: true });
      expect(await owned.stats()).toMatchObject({ active: 0 });
    } finally {
      if (saved === undefined) delete process.env.CANCELABLE_SOCKET_DIR;
      else process.env.CANCELABLE_SOCKET_DIR = saved;
    }
  });
});

describe('ControlClient: what a server may send', () => {
  it('ignores lines that are not JSON objects, events for no watch, answers to no request', async () => {
    const { path } = await foreignServer((request, socket) => {
      socket.write('not json\n42\nnull\n"text"\n');
      socket.write(line({ id: 'w', event: { type: 'start', context: {} } }));
      socket.write(line({ id: 999, ok: true, result: 'not asked' }));
      socket.write(line({ id: null, ok: false, error: { code: 'EPARSE', message: 'a complaint about no request' } }));
      socket.write(line({ id: null, ok: true, error: { code: 'EBUSY', message: 'not a refusal: ok is not false' } }));
      socket.write(line({ id: null, ok: false })); // unsolicited, and no error object at all
      socket.write(line({ id: request.id, ok: true, result: 'mine' }));
    });
    const client = await connect({ path });
    expect(await client.request('stats')).toBe('mine');
    expect(await client.request('stats')).toBe('mine'); // still connected
  });

  it('an error without code or message is EINTERNAL "request failed"', async () => {
    const { path } = await foreignServer((request, socket) => {
      socket.write(line(request.op === 'list' ? { id: request.id, ok: false, error: { code: 7, message: null } } : { id: request.id, ok: false }));
    });
    const client = await connect({ path });
    await expect(client.request('list')).rejects.toThrow(new ControlError('EINTERNAL', 'request failed'));
    await expect(client.request('stats')).rejects.toMatchObject({ code: 'EINTERNAL', message: 'request failed' });
    const error = await client.request('stats').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlError);
    expect((error as ControlError).name).toBe('ControlError');
  });

  it('an unsolicited EBUSY or EIDLE ends the connection with that code; an unsolicited error without a code does not', async () => {
    for (const [error, expected] of [
      [{ code: 'EBUSY', message: 'too many' }, { code: 'EBUSY', message: ': too many' }],
      [{ code: 'EIDLE', message: 'idle' }, { code: 'EIDLE', message: ': idle' }],
      [{ code: 'EIDLE' }, { code: 'EIDLE', message: ': request failed' }],
    ] as const) {
      const { path } = await foreignServer((request, socket) => {
        if (request.op === 'list') socket.write(line({ id: null, ok: false, error }));
      });
      const client = await connect({ path });
      await expect(client.request('list')).rejects.toMatchObject({ code: expected.code, message: `${path}${expected.message}` });
      await client.closed;
      await expect(client.request('stats')).rejects.toMatchObject({ code: 'ECLOSED', message: `the connection to ${path} is closed` });
    }
    const { path } = await foreignServer((request, socket) => {
      socket.write(line({ id: null, ok: false, error: { message: 'no code' } }));
      socket.write(line({ id: request.id, ok: true, result: 'still here' }));
    });
    const client = await connect({ path });
    expect(await client.request('stats')).toBe('still here');
  });

  it('a RegExp filter skips entries without a string name; g and y flags do not make it skip matches', async () => {
    const { path, requests } = await foreignServer((request, socket) => {
      socket.write(
        line({
          id: request.id,
          ok: true,
          result: request.op === 'list' ? [null, { id: 'a' }, { id: 'b', name: 42 }, { id: 'c', name: 'undefined job' }, { id: 'd', name: 'job two' }] : true,
        }),
      );
    });
    const client = await connect({ path });
    expect((await client.list({ name: /undefined|42|job/ })).map((o) => o.id)).toEqual(['c', 'd']);
    expect((await client.list({ name: /job/g })).map((o) => o.id)).toEqual(['c', 'd']);
    expect((await client.list({ name: /job/y })).map((o) => o.id)).toEqual(['c', 'd']); // kept sticky, it would match at index 0 only
    // Only the rest of the filter crosses the wire; the pattern stays here.
    expect(requests[0]).toEqual({ id: 1, op: 'list', filter: {} });
    await client.list({ name: /x/, status: 'running' });
    expect(requests.at(-1)).toEqual({ id: 4, op: 'list', filter: { status: 'running' } });
    expect(await client.cancelAll({ name: /job/g }, 'why')).toBe(2);
    expect(requests.slice(-2)).toEqual([
      { id: 6, op: 'cancel', operationId: 'c', message: 'why' },
      { id: 7, op: 'cancel', operationId: 'd', message: 'why' },
    ]);
    // A substring is the server's business: one cancelAll request.
    expect(await client.cancelAll({ name: 'job' }, 'sub')).toBe(true);
    expect(requests.slice(7)).toEqual([{ id: 8, op: 'cancelAll', filter: { name: 'job' }, message: 'sub' }]);
  });

  it('checks filters, ids and ops before sending', async () => {
    const { path, requests } = await foreignServer((request, socket) => socket.write(line({ id: request.id, ok: true, result: [] })));
    const client = await connect({ path });
    await expect(client.list({ name: 42 as never })).rejects.toThrow(new TypeError('filter.name must be a string or a RegExp, got 42'));
    await expect(client.list({ name: '' })).rejects.toThrow(new RangeError('filter.name must not be empty (omit it to select every operation)'));
    await expect(client.list(null as never)).rejects.toThrow(new TypeError('filter must be an options object, got null'));
    expect(() => client.get(7 as never)).toThrow(new TypeError('operationId must be a string, got 7'));
    expect(() => client.cancel('')).toThrow(new RangeError('operationId must not be empty'));
    expect(() => client.request(7 as never)).toThrow(new TypeError('op must be a string, got 7'));
    await expect(client.watch('x' as never)).rejects.toThrow(new TypeError('listener must be a function, got "x"'));
    expect(requests).toEqual([]);
    await client.list({ name: 'sub', parentId: null });
    await client.list();
    await client.history({ limit: 2 });
    await client.history();
    expect(requests).toEqual([
      { id: 1, op: 'list', filter: { name: 'sub', parentId: null } },
      { id: 2, op: 'list' },
      { id: 3, op: 'history', limit: 2 },
      { id: 4, op: 'history' },
    ]);
  });
});

describe('ControlClient: a server that hangs up', () => {
  it('while the client is still writing (EPIPE on the client side): its requests reject with ECLOSED, nothing is thrown', async () => {
    const { path } = await foreignServer((_request, socket) => socket.destroy());
    const client = await connect({ path });
    const big = 'x'.repeat(256 * 1024);
    const pending = Array.from({ length: 20 }, () => client.request('stats', { big }).catch((error: unknown) => error));
    const errors = await Promise.all(pending);
    expect(errors.every((error) => error instanceof ControlError && error.code === 'ECLOSED')).toBe(true);
    await client.closed;
  });
});

describe('ControlClient: watching', () => {
  it('a refused watch leaves no listener; stopping twice sends one unwatch; stopping after the end sends none', async () => {
    let watches = 0;
    const { path, requests } = await foreignServer((request, socket) => {
      if (request.op === 'watch' && ++watches === 1) {
        socket.write(line({ id: request.id, ok: false, error: { code: 'EBADREQUEST', message: 'no' } }));
        return;
      }
      // An event for the refused watch's id (1): nobody listens to it any more.
      if (request.op === 'watch') socket.write(line({ id: 1, event: { type: 'start', context: { name: 'refused' } } }));
      socket.write(line({ id: request.id, ok: true, result: request.op === 'watch' ? { watching: true } : true }));
      if (request.op === 'watch') socket.write(line({ id: request.id, event: { type: 'start', context: { name: 'seen' } } }));
    });
    const client = await connect({ path });
    const events: ControlEvent[] = [];
    await expect(client.watch((event) => events.push(event))).rejects.toThrow(new ControlError('EBADREQUEST', 'no'));
    const stop = await client.watch((event) => events.push(event));
    await client.request('stats'); // the event came before this answer
    expect(events.map((e) => e.context.name)).toEqual(['seen']);
    await stop();
    await stop();
    expect(requests.filter((r) => r.op === 'unwatch')).toEqual([{ id: 4, op: 'unwatch', watchId: 2 }]);
    const stop2 = await client.watch(() => undefined);
    client.close();
    await client.closed;
    await stop2(); // nothing to send, nothing thrown
    expect(requests.filter((r) => r.op === 'unwatch')).toHaveLength(1);
  });

  it('pause() holds events back until resume()', async () => {
    const registry = new OperationRegistry();
    const server = await serve(registry);
    const client = await connect({ path: server.path });
    const names: string[] = [];
    await client.watch((event) => names.push(`${event.type}:${event.context.name}`));
    client.pause();
    await new Cancelable({ name: 'quiet', register: registry }).run(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(names).toEqual([]);
    client.resume();
    const deadline = Date.now() + 5_000;
    while (names.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(names).toEqual(['start:quiet', 'end:quiet']);
  });

  it('close() rejects every pending request with ECLOSED and drops the watchers', async () => {
    const { path } = await foreignServer((request, socket) => {
      if (request.op === 'watch') socket.write(line({ id: request.id, ok: true, result: { watching: true } }));
    });
    const client = await connect({ path });
    const events: unknown[] = [];
    await client.watch((event) => events.push(event));
    const a = client.request('list');
    const b = client.request('stats');
    client.close();
    await expect(a).rejects.toMatchObject({ code: 'ECLOSED', message: `the connection to ${path} was closed` });
    await expect(b).rejects.toMatchObject({ code: 'ECLOSED' });
    await client.closed;
    expect(events).toEqual([]);
  });
});

describe('ControlClient against the real endpoint', () => {
  it('a RegExp list and cancelAll', async () => {
    const registry = new OperationRegistry();
    runOperation(registry, 'alpha-1');
    runOperation(registry, 'beta');
    const server = await serve(registry);
    const client = await connect({ path: server.path });
    expect((await client.list({ name: /^alpha/ })).map((o) => o.name)).toEqual(['alpha-1']);
    expect(await client.cancelAll({ name: 'beta' }, 'stop')).toBe(1);
    expect(registry.history().map((o) => [o.name, o.cancelMessage])).toEqual([['beta', 'stop']]);
  });
});
