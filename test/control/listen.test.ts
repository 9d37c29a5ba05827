// How the control endpoint takes its socket path (listen, linkInPlace, probe and explain in
// src/control/server.ts): what it finds at the path, what each failure says, what it leaves behind,
// and that nothing it opens keeps the process alive (mutation testing, docs/reliability.md). Real
// files, real sockets; a device node and /sys only where this process may use them (root, Linux).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OperationRegistry } from '../../src/index.js';
import { serveRegistry } from '../../src/processes/index.js';
import { controlBench, RawClient } from './helpers.js';

const isWindows = process.platform === 'win32';
const isRoot = process.getuid?.() === 0;
const { freshDir, serveAt: serve, keep } = controlBench('listen');

/** Ref'd pipes (sockets, servers) keeping the loop alive, once the count holds still for 100 ms. */
async function pipes(): Promise<number> {
  const count = (): number => process.getActiveResourcesInfo().filter((name) => name === 'PipeWrap').length;
  let last = count();
  for (let same = 0; same < 5; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = count();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

describe.skipIf(isWindows)('taking the socket path', () => {
  it('leaves only the socket in its directory: the staging directory goes, on success and on failure', async () => {
    const dir = freshDir();
    const server = await serve(join(dir, 's.sock'));
    expect(readdirSync(dir)).toEqual(['s.sock']);
    await expect(serveRegistry(new OperationRegistry(), { path: server.path })).rejects.toMatchObject({ code: 'EADDRINUSE', path: server.path });
    expect(readdirSync(dir)).toEqual(['s.sock']);
    await server.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names what is at the path and never replaces it: a directory, a symbolic link, a FIFO, a device', async () => {
    const dir = freshDir();
    const cases: [string, string][] = [];
    const directory = join(dir, 'directory');
    mkdirSync(directory);
    cases.push([directory, 'directory']);
    const link = join(dir, 'link');
    symlinkSync(join(dir, 'nowhere'), link);
    cases.push([link, 'symbolic link']);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    cases.push([fifo, 'FIFO']);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    cases.push([file, 'regular file']);
    if (isRoot && process.platform === 'linux') {
      const device = join(dir, 'null');
      execFileSync('mknod', [device, 'c', '1', '3']);
      cases.push([device, 'special file']);
    }
    for (const [path, kind] of cases) {
      const error = await serveRegistry(new OperationRegistry(), { path }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'EEXIST', path, message: `${path} exists and is not a socket (it is a ${kind}); refusing to replace it` });
      expect(existsSync(path) || kind === 'symbolic link').toBe(true);
    }
    expect(readdirSync(dir).sort()).toEqual(cases.map(([path]) => path.slice(dir.length + 1)).sort());
  });

  it('says why it cannot listen: a missing directory, a path under a file, a place it may not write', async () => {
    const dir = freshDir();
    const missing = join(dir, 'missing', 's.sock');
    const gone = await serveRegistry(new OperationRegistry(), { path: missing }).catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: 'ENOENT', path: missing, message: `cannot listen on ${missing}: its directory does not exist` });
    expect((gone as Error).cause).toMatchObject({ code: 'ENOENT', syscall: 'mkdtemp' });

    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    const under = join(file, 's.sock');
    const notDir = await serveRegistry(new OperationRegistry(), { path: under }).catch((e: unknown) => e);
    expect(notDir).toMatchObject({ code: 'ENOTDIR', path: under });
    expect((notDir as Error).message).toMatch(new RegExp(`^cannot listen on ${under}: ENOTDIR: not a directory, mkdtemp`));
  });

  it.skipIf(!existsSync('/sys/kernel'))('a directory nobody may create files in (sysfs) is "permission denied"', async () => {
    let code: string | undefined;
    try {
      rmSync(mkdtempSync('/sys/kernel/.c'), { recursive: true });
    } catch (error) {
      code = (error as NodeJS.ErrnoException).code;
    }
    if (code !== 'EPERM' && code !== 'EACCES') return; // sysfs accepted a directory: nothing to see here
    const path = '/sys/kernel/s.sock';
    await expect(serveRegistry(new OperationRegistry(), { path })).rejects.toMatchObject({
      code,
      path,
      message: `cannot listen on ${path}: permission denied`,
    });
  });

  it('an endpoint of this user that listens is found at once (not after the probe’s 1 s timeout) and kept', async () => {
    const live = await serve(join(freshDir(), 's.sock'));
    const started = Date.now();
    await expect(serveRegistry(new OperationRegistry(), { path: live.path })).rejects.toMatchObject({
      code: 'EADDRINUSE',
      path: live.path,
      message: `${live.path} is in use: a control endpoint (of this or another process) is listening on it`,
    });
    expect(Date.now() - started).toBeLessThan(900);
    const client = await RawClient.open(live.path);
    keep(client);
    client.write('{"id":1,"op":"stats"}\n');
    expect((await client.waitForLines(1))[0]).toMatchObject({ id: 1, ok: true });
  });

  it('a live socket whose listener is too busy to accept (connect: EAGAIN) is neither stale nor stolen', async () => {
    const path = join(freshDir(), 'busy.sock');
    // A listener with a backlog of 1 on a thread that then blocks: the kernel queues two connections,
    // then refuses the next with EAGAIN.
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const server = require('node:net').createServer();
       server.listen({ path: workerData.path, backlog: 1 }, () => {
         parentPort.postMessage('listening');
         Atomics.wait(workerData.gate, 0, 0);
         server.close();
       });`,
      { eval: true, workerData: { path, gate } },
    );
    const sockets: Socket[] = [];
    try {
      await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      let refused: NodeJS.ErrnoException | undefined;
      for (let i = 0; i < 50 && refused === undefined; i++) {
        refused = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
          const socket = connect(path);
          sockets.push(socket);
          socket.once('connect', () => resolve(undefined));
          socket.once('error', (error) => resolve(error));
        });
      }
      expect(refused?.code).toBe('EAGAIN');
      const error = await serveRegistry(new OperationRegistry(), { path }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'EAGAIN', path, message: expect.stringMatching(new RegExp(`^cannot listen on ${path}: .*EAGAIN`)) });
      expect(lstatSync(path).isSocket()).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await worker.terminate();
    }
  });

  it.skipIf(!isRoot)("another user's stale socket is never replaced (EACCES, chowned to uid 54321)", async () => {
    const dir = freshDir();
    const theirs = await serve(join(dir, 's.sock'));
    const keep = join(dir, 'keep');
    linkSync(theirs.path, keep); // survives close(): a stale socket
    await theirs.close();
    linkSync(keep, theirs.path);
    chownSync(theirs.path, 54321, 54321);
    const error = await serveRegistry(new OperationRegistry(), { path: theirs.path }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'EACCES',
      path: theirs.path,
      message: `${theirs.path} is a socket of another user (uid 54321); refusing to replace it`,
    });
    expect(lstatSync(theirs.path).uid).toBe(54321);
  });

  it('the staging directory counts against the socket path limit: refused up front, not truncated', async () => {
    const limit = process.platform === 'linux' ? 107 : 103;
    // <dir>/.cXXXXXX/s is 11 bytes longer than <dir>: the longest <dir> is limit - 11.
    const deep = (bytes: number): string => {
      let dir = freshDir();
      while (Buffer.byteLength(dir) < bytes - 20) {
        dir = join(dir, 'n'.repeat(Math.min(50, bytes - 20 - Buffer.byteLength(dir))));
        mkdirSync(dir, { recursive: true });
      }
      const last = join(dir, 'z'.repeat(bytes - Buffer.byteLength(dir) - 1));
      mkdirSync(last);
      expect(Buffer.byteLength(last)).toBe(bytes);
      return last;
    };
    const fits = deep(limit - 11);
    const server = await serve(join(fits, 's'));
    expect(readdirSync(fits)).toEqual(['s']);
    await server.close();
    const over = deep(limit - 10);
    const temporary = Buffer.byteLength(over) + 11;
    const error = await serveRegistry(new OperationRegistry(), { path: join(over, 's') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe(
      `options.path (with the 10 bytes of its staging directory) is ${temporary} bytes long; Unix socket paths are limited to ${limit} bytes: ${over}/.c${(error as Error).message.slice(-8, -2)}/s`,
    );
    expect(readdirSync(over)).toEqual([]);
  });

  it('keeps nothing alive: neither the listening socket nor a client’s connection is ref’d', async () => {
    const before = await pipes();
    const server = await serve(join(freshDir(), 's.sock'));
    expect(await pipes()).toBe(before);
    const client = await RawClient.open(server.path);
    keep(client);
    client.write('{"id":1,"op":"stats"}\n');
    await client.waitForLines(1);
    expect(await pipes()).toBe(before + 1); // the test's own client
    client.close();
    await client.closed;
  });
});
