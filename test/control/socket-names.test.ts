// Where control sockets live and how they are named (socket-path.ts), and the bookkeeping that
// removes this process's socket files (socket-files.ts): each rule at its exact edge (mutation
// testing, docs/reliability.md). Real files, real sockets, real process hooks.
import { linkSync, lstatSync, mkdtempSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OperationRegistry } from '../../src/index.js';
import { serveRegistry, type ControlServer } from '../../src/processes/index.js';
import { checkSocketPath, defaultSocketDir, defaultSocketPath, findSocketCandidates, MAX_SOCKET_PATH_BYTES } from '../../src/control/socket-path.js';
import { ownedSocketFiles } from '../../src/control/socket-files.js';

const isWindows = process.platform === 'win32';
const root = mkdtempSync(join(tmpdir(), 'cbl-names-'));
let counter = 0;
const freshDir = (): string => mkdtempSync(join(root, `d${++counter}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const servers: ControlServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(path: string): Promise<ControlServer> {
  const server = await serveRegistry(new OperationRegistry(), { path });
  servers.push(server);
  return server;
}

describe.skipIf(isWindows)('the default socket directory and path (socket-path.ts)', () => {
  it('$CANCELABLE_SOCKET_DIR, else $XDG_RUNTIME_DIR, else <tmpdir>/cancelable-<uid>; an empty variable counts as unset', () => {
    expect(defaultSocketDir({ CANCELABLE_SOCKET_DIR: '/a', XDG_RUNTIME_DIR: '/b' })).toBe('/a');
    expect(defaultSocketDir({ XDG_RUNTIME_DIR: '/b' })).toBe('/b');
    expect(defaultSocketDir({ CANCELABLE_SOCKET_DIR: '', XDG_RUNTIME_DIR: '/b' })).toBe('/b');
    expect(defaultSocketDir({})).toBe(join(tmpdir(), `cancelable-${process.getuid!()}`));
    expect(defaultSocketDir({ CANCELABLE_SOCKET_DIR: '', XDG_RUNTIME_DIR: '' })).toBe(join(tmpdir(), `cancelable-${process.getuid!()}`));
    expect(defaultSocketPath(7, {})).toBe(join(tmpdir(), `cancelable-${process.getuid!()}`, 'cancelable-7.sock'));
  });

  it('a pid is an integer from 1 to 2^31-1', () => {
    expect(defaultSocketPath(2 ** 31 - 1, { CANCELABLE_SOCKET_DIR: '/d' })).toBe(`/d/cancelable-${2 ** 31 - 1}.sock`);
    expect(defaultSocketPath(1, { CANCELABLE_SOCKET_DIR: '/d' })).toBe('/d/cancelable-1.sock');
    expect(() => defaultSocketPath(2 ** 31, { CANCELABLE_SOCKET_DIR: '/d' })).toThrow(
      new RangeError(`pid must be at most ${2 ** 31 - 1} (a process id is a 32-bit integer), got ${2 ** 31}`),
    );
    expect(() => defaultSocketPath(0)).toThrow(new RangeError('pid must be an integer >= 1, got 0'));
  });

  it('a socket path of exactly the platform limit is accepted, one byte more is not', () => {
    expect(MAX_SOCKET_PATH_BYTES).toBe(process.platform === 'linux' ? 107 : 103);
    const at = `/${'x'.repeat(MAX_SOCKET_PATH_BYTES - 1)}`;
    expect(Buffer.byteLength(at)).toBe(MAX_SOCKET_PATH_BYTES);
    expect(() => checkSocketPath('p', at)).not.toThrow();
    expect(() => checkSocketPath('p', `${at}x`)).toThrow(
      new RangeError(`p is ${MAX_SOCKET_PATH_BYTES + 1} bytes long; Unix socket paths are limited to ${MAX_SOCKET_PATH_BYTES} bytes: ${at}x`),
    );
    // Bytes, not characters: 'é' is two (55 characters, 109 bytes).
    expect(() => checkSocketPath('p', `/${'é'.repeat(54)}`)).toThrow(RangeError);
  });

  it('findSocketCandidates: exactly cancelable-<digits>.sock, sorted by pid; the default directory; a missing one is empty', async () => {
    const dir = freshDir();
    for (const name of [
      'cancelable-100.sock',
      'cancelable-9.sock',
      'cancelable-10.sock',
      'cancelable-.sock',
      'cancelable-1x.sock',
      'cancelable-x1.sock',
      'xcancelable-5.sock',
      'cancelable-6.sock.old',
      'cancelable-7sock',
      'cancelable-8',
    ]) {
      writeFileSync(join(dir, name), '');
    }
    const expected = [9, 10, 100].map((pid) => ({ pid, path: join(dir, `cancelable-${pid}.sock`) }));
    expect(await findSocketCandidates(dir)).toEqual(expected);
    const saved = process.env.CANCELABLE_SOCKET_DIR;
    process.env.CANCELABLE_SOCKET_DIR = dir;
    try {
      expect(await findSocketCandidates()).toEqual(expected);
    } finally {
      if (saved === undefined) delete process.env.CANCELABLE_SOCKET_DIR;
      else process.env.CANCELABLE_SOCKET_DIR = saved;
    }
    expect(await findSocketCandidates(join(dir, 'missing'))).toEqual([]);
  });
});

describe.skipIf(isWindows)('the socket files this process owns (socket-files.ts)', () => {
  it('one exit hook and one SIGTERM/SIGINT hook for any number of sockets, gone with the last one', async () => {
    const exit = process.listenerCount('exit');
    const term = process.listenerCount('SIGTERM');
    const int = process.listenerCount('SIGINT');
    const files = ownedSocketFiles();
    const a = await serve(join(freshDir(), 'a.sock'));
    const b = await serve(join(freshDir(), 'b.sock'));
    expect(ownedSocketFiles()).toBe(files + 2);
    expect([process.listenerCount('exit'), process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual([exit + 1, term + 1, int + 1]);
    await a.close();
    expect(ownedSocketFiles()).toBe(files + 1);
    expect([process.listenerCount('exit'), process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual([exit + 1, term + 1, int + 1]);
    await b.close();
    expect(ownedSocketFiles()).toBe(files);
    expect([process.listenerCount('exit'), process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual([exit, term, int]);
  });

  it('close() removes the socket it bound, never a file put at its path since', async () => {
    const dir = freshDir();
    const path = join(dir, 's.sock');
    const server = await serve(path);
    renameSync(path, join(dir, 'moved.sock'));
    writeFileSync(path, 'someone else’s');
    await server.close();
    expect(lstatSync(path).isFile()).toBe(true);
    expect(existsSync(join(dir, 'moved.sock'))).toBe(true); // not at the path any more: not touched either

    // The same inode under the path is ours (a hard link to it, moved back): removed.
    const again = await serve(join(dir, 't.sock'));
    const keep = join(dir, 'keep');
    linkSync(again.path, keep);
    rmSync(again.path);
    linkSync(keep, again.path);
    await again.close();
    expect(existsSync(again.path)).toBe(false);
  });

  it('the exit hook removes every socket file still open; close() afterwards is harmless', async () => {
    const dir = freshDir();
    const a = await serve(join(dir, 'a.sock'));
    const b = await serve(join(dir, 'b.sock'));
    const onExit = process.listeners('exit').find((listener) => listener.name === 'onExit');
    expect(onExit).toBeTypeOf('function');
    (onExit as () => void)();
    expect([existsSync(a.path), existsSync(b.path)]).toEqual([false, false]);
    expect(ownedSocketFiles()).toBe(0);
    await a.close();
    await b.close();
    expect(process.listeners('exit')).not.toContain(onExit);
  });
});
