/**
 * Figures for docs/reliability.md ("Control endpoint security"): what the attacks of issue 16
 * (items 9-11) cost the control endpoint now. Real sockets in one process; run with
 * `npx tsx scripts/measure-control.ts` (about half a minute). Prints one line per figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Cancelable, OperationRegistry } from '../src/index.js';
import type * as Library from '../src/index.js';
import type * as Processes from '../src/processes/index.js';
import { ControlClient, serveRegistry } from '../src/processes/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cbl-measure-'));
let n = 0;
const path = (): string => join(dir, `s${++n}.sock`);
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const open = (where: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect(where);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
const linesOf = (socket: Socket, count: number): Promise<void> =>
  new Promise((resolve) => {
    let seen = 0;
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10 && ++seen === count) resolve();
    });
  });

// 1. 40,000 watch requests on one connection (main: 7.1 s, subscriptions copied on each).
{
  const registry = new OperationRegistry();
  const server = await serveRegistry(registry, { path: path() });
  const socket = await open(server.path);
  const done = linesOf(socket, 40_000);
  const start = performance.now();
  socket.write('{"id":1,"op":"watch"}\n'.repeat(40_000));
  await done;
  const watchMs = performance.now() - start;
  const floor = linesOf(socket, 40_000);
  const t = performance.now();
  socket.write('{"id":2,"op":"stats"}\n'.repeat(40_000));
  await floor;
  console.log(
    `40,000 watch requests on one connection: ${watchMs.toFixed(0)} ms (1 accepted, 39,999 refused); 40,000 stats requests, same connection: ${(performance.now() - t).toFixed(0)} ms`,
  );
  socket.destroy();
  await server.close();
}

// 1b. The same against another copy of the code (BASELINE=/path/to/other/src), e.g. main's.
if (process.env.BASELINE !== undefined) {
  const other = (await import(join(process.env.BASELINE, 'index.ts'))) as typeof Library;
  const otherProcesses = (await import(join(process.env.BASELINE, 'processes/index.ts'))) as typeof Processes;
  const server = await otherProcesses.serveRegistry(new other.OperationRegistry(), { path: path() });
  const socket = await open(server.path);
  const done = linesOf(socket, 40_000);
  const start = performance.now();
  socket.write(Array.from({ length: 40_000 }, (_, i) => `{"id":${i},"op":"watch"}\n`).join(''));
  await done;
  console.log(`  baseline (${process.env.BASELINE}): 40,000 watch requests on one connection: ${(performance.now() - start).toFixed(0)} ms`);
  socket.destroy();
  await server.close();
}

// 2. 40,000 in-process subscribe + unsubscribe (a copied array made this quadratic).
{
  const registry = new OperationRegistry();
  const start = performance.now();
  const offs = Array.from({ length: 40_000 }, () => registry.subscribe(() => undefined));
  for (const off of offs) off();
  const ms = performance.now() - start;
  const set = new Set<object>();
  const t = performance.now();
  const removers = Array.from({ length: 40_000 }, () => {
    const entry = { listener: () => undefined };
    set.add(entry);
    return () => set.delete(entry);
  });
  for (const remove of removers) remove();
  console.log(`registry: 40,000 subscribe + unsubscribe: ${ms.toFixed(1)} ms (the same with a bare Set: ${(performance.now() - t).toFixed(1)} ms)`);
}

// 3. A catastrophic pattern sent as a name filter (main: compiled, 8.5 s of blocked event loop).
{
  const registry = new OperationRegistry();
  const scope = new Cancelable({ name: `${'a'.repeat(40)}!`, register: registry });
  const run = scope.run((s) => s.sleep(60_000)).catch(() => undefined);
  const server = await serveRegistry(registry, { path: path() });
  const socket = await open(server.path);
  const done = linesOf(socket, 1);
  const start = performance.now();
  socket.write('{"id":1,"op":"list","filter":{"name":"/(a+)+$/"}}\n');
  await done;
  console.log(`name filter "/(a+)+$/" over the socket: answered in ${(performance.now() - start).toFixed(1)} ms (a substring, no match)`);
  socket.destroy();
  scope.cancel();
  await run;
  await server.close();
}

// 4. 5,000 connections held open (main: all kept for 30 s; ~1,000 made open() fail with EMFILE).
{
  const server = await serveRegistry(new OperationRegistry(), { path: path() });
  const sockets: Socket[] = [];
  let closedByServer = 0;
  let failed = 0;
  const start = performance.now();
  for (let i = 0; i < 5_000; i++) {
    try {
      const socket = await open(server.path);
      socket.on('error', () => undefined);
      socket.on('close', () => closedByServer++);
      socket.resume(); // read, so that the server's hang-up is seen
      sockets.push(socket);
    } catch {
      failed++;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  console.log(
    `5,000 connections: ${server.connections} held (the cap, default 32), ${closedByServer} told EBUSY and closed by the server, ${failed} failed to connect, in ${(performance.now() - start).toFixed(0)} ms`,
  );
  for (const socket of sockets) socket.destroy();
  await server.close();
}
{
  const server = await serveRegistry(new OperationRegistry(), { path: path(), idleTimeoutMs: 1_000 });
  const sockets = await Promise.all(Array.from({ length: 32 }, () => open(server.path)));
  const t = performance.now();
  while (server.connections > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  console.log(`32 idle connections, idleTimeoutMs 1,000 (default 30,000): all dropped after ${(performance.now() - t).toFixed(0)} ms`);
  for (const socket of sockets) socket.destroy();
  await server.close();
}

// 5. 100 watchers that never read, one chatty operation (main: server 47 -> 1,046 MiB).
{
  const registry = new OperationRegistry();
  const server = await serveRegistry(registry, { path: path(), maxConnections: 200 });
  const watchers: Socket[] = [];
  for (let i = 0; i < 100; i++) {
    const socket = await open(server.path);
    socket.on('error', () => undefined);
    socket.write('{"id":1,"op":"watch"}\n');
    watchers.push(socket);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const socket of watchers) socket.pause();
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const scope = new Cancelable({ name: 'chatty', register: registry });
  const message = 'p'.repeat(4 * 1024);
  const start = performance.now();
  await scope.run(async (s) => {
    for (let i = 0; i < 50_000; i++) {
      s.reportProgress(message);
      if (i % 50 === 0) {
        peak = Math.max(peak, process.memoryUsage().rss);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  });
  console.log(
    `100 watchers that never read, 50,000 progress reports of 4 KiB: ${server.connections} still connected after ${(performance.now() - start).toFixed(0)} ms; RSS ${mib(before)} -> peak ${mib(peak)}`,
  );
  for (const socket of watchers) socket.destroy();
  await server.close();
}

// 6. A "server" that streams bytes without a newline (main: the CLI grew to 313 MiB).
{
  const where = path();
  const endless = createServer((socket) => {
    socket.on('error', () => undefined);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = (): void => {
      while (!socket.destroyed && socket.write(chunk));
      if (!socket.destroyed) socket.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((resolve) => endless.listen(where, resolve));
  global.gc?.();
  const before = process.memoryUsage().rss;
  const client = await ControlClient.connect({ path: where });
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const outcome = await client.list().then(
    () => 'answered',
    (error: Error & { code?: string }) => error.code,
  );
  clearInterval(timer);
  console.log(`client against an endless line: ${outcome} (default cap 64 MiB); RSS ${mib(before)} -> peak ${mib(peak)}`);
  await new Promise<void>((resolve) => endless.close(() => resolve()));
}

rmSync(dir, { recursive: true, force: true });
