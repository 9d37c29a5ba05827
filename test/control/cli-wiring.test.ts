// The CLI as a program: EPIPE (`cancelable ps | head`), `watch` behind a slow stdout, `dashboard`
// on a socket and on a fleet, and `ps`/`cancel` across a fleet (--redis, --postgres). Real sockets,
// real HTTP, real Redis and PostgreSQL, real child processes and signals.
import { spawn as spawnChild } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cancelable, CancelationToken, OperationRegistry } from '../../src/index.js';
import { serveRegistry } from '../../src/processes/index.js';
import { fleetFromUrl } from '../../src/redis/index.js';
import { runCli } from '../../src/cli/run.js';
import { uniqueNamespace, usePostgres, useRedis, type TestServer } from '../distributed/servers.js';
import { runHere } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'cbl-wire-'));
let counter = 0;
const socketPath = (): string => join(mkdtempSync(join(root, `d${++counter}-`)), 's.sock');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function runningOperations(registry: OperationRegistry, names: string[]): () => Promise<void> {
  const scopes = names.map((name) => new Cancelable({ name, register: registry }));
  const runs = scopes.map((scope) => scope.run((s) => s.sleep(60_000)).catch(() => undefined));
  return async () => {
    for (const scope of scopes) scope.cancel();
    await Promise.all(runs);
  };
}

/** Runs the real CLI; `onSpawn` gets the child at once. */
function cliProcess(args: string[], onSpawn?: (child: ReturnType<typeof spawnChild>) => void) {
  const child = spawnChild(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  onSpawn?.(child);
  const result = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, result, stdout: () => stdout };
}

describe('the CLI as a program', () => {
  it('exits cleanly (code 0, nothing on stderr) when its reader goes away: `cancelable ps | head`', async () => {
    const registry = new OperationRegistry();
    const stop = runningOperations(registry, Array.from({ length: 200 }, (_, i) => `op-${i}`));
    const server = await serveRegistry(registry, { path: socketPath() });
    try {
      const { result } = cliProcess(['ps', '--socket', server.path], (child) => child.stdout!.destroy());
      const { code, signal, stderr } = await result;
      expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    } finally {
      await server.close();
      await stop();
    }
  }, 30_000);

  it('`watch` stops reading while stdout is full: the server drops it instead of the CLI growing', async () => {
    const registry = new OperationRegistry();
    const server = await serveRegistry(registry, { path: socketPath(), maxClientBufferedBytes: 128 * 1024 });
    let writes = 0;
    let stalled = true;
    let drain: (() => void) | undefined;
    const stderr: string[] = [];
    const slowStdout = {
      write: () => {
        writes++;
        return !stalled; // a terminal or pipe that stops draining
      },
      once: (_event: 'drain', listener: () => void) => void (drain = listener),
    };
    const watching = runCli(['watch', '--socket', server.path], { stdout: slowStdout, stderr: { write: (t: string) => stderr.push(t) }, env: process.env });
    while (server.connections === 0 || !stderr.some((line) => line.startsWith('watching'))) await new Promise((resolve) => setTimeout(resolve, 10));
    const scope = new Cancelable({ name: 'chatty', register: registry });
    let sent = 0;
    await scope.run(async (s) => {
      for (; sent < 5_000 && server.connections === 1; sent++) {
        s.reportProgress('y'.repeat(8 * 1024));
        if (sent % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    expect(sent).toBeLessThan(5_000); // the server dropped the watcher that stopped reading
    const writesWhileStalled = writes;
    expect(writesWhileStalled).toBeLessThan(5); // the CLI stopped reading at the first full write
    // stdout drains: the CLI reads what the kernel kept, sees the server's hang-up, and ends.
    stalled = false;
    drain?.();
    expect(await watching).toBe(0);
    expect(writes).toBeLessThan(sent);
    expect(stderr.join('')).toContain('the watched process closed the connection');
    await server.close();
  }, 60_000);

  it('`dashboard --socket` serves the page and the API of another registry over real HTTP, until stopped', async () => {
    const registry = new OperationRegistry();
    const stop = runningOperations(registry, ['render-<b>report</b>']);
    const server = await serveRegistry(registry, { path: socketPath() });
    const abort = new AbortController();
    let stdout = '';
    const running = runCli(['dashboard', '--socket', server.path, '--port', '0'], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => undefined },
      env: process.env,
      signal: abort.signal,
    });
    try {
      while (!stdout.includes('\n')) await new Promise((resolve) => setTimeout(resolve, 10));
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1];
      expect(stdout).toMatch(/^dashboard of process \d+ at http:\/\/127\.0\.0\.1:\d+\/\n$/);
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      await page.text();
      const api = await fetch(`${url}api/operations`);
      const body = (await api.json());
      expect(JSON.stringify(body)).toContain('render-<b>report</b>');
      expect(server.connections).toBe(1); // watching (not dropped as idle)
    } finally {
      abort.abort();
      expect(await running).toBe(0);
      await server.close();
      await stop();
    }
  });

  it('`dashboard` as a process prints its address, serves, and ends cleanly on SIGTERM', async () => {
    const registry = new OperationRegistry();
    const server = await serveRegistry(registry, { path: socketPath() });
    try {
      const { child, result, stdout } = cliProcess(['dashboard', '--socket', server.path]);
      while (!stdout().includes('\n')) await new Promise((resolve) => setTimeout(resolve, 20));
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout())![1]!;
      expect((await fetch(`${url}api/stats`)).status).toBe(200);
      process.kill(child.pid!, 'SIGTERM');
      expect(await result).toMatchObject({ code: 0, signal: null });
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('the CLI and the fleet (--redis, --postgres)', () => {
  let redis: TestServer;
  let postgres: TestServer;
  const redisNs = uniqueNamespace('cli');
  const pgNs = uniqueNamespace('cli');
  beforeAll(async () => {
    redis = await useRedis();
    postgres = await usePostgres();
  }, 60_000);
  afterAll(async () => {
    const pool = new pg.Pool({ connectionString: postgres.url, max: 1 });
    await pool.query(`DROP TABLE IF EXISTS "${pgNs}_state", "${pgNs}_lease"`);
    await pool.end();
    await redis?.stop();
    await postgres?.stop();
  });

  describe.each([
    { flag: '--redis', url: () => redis.url, ns: redisNs },
    { flag: '--postgres', url: () => postgres.url, ns: pgNs },
  ])('$flag', ({ flag, url, ns }) => {
    it('ps lists every operation of the fleet; cancel <id> stops it where it runs', async () => {
      const worker = await fleetFromUrl(url(), { namespace: ns, pollMs: 3_600_000 });
      const token = new CancelationToken();
      const run = new Cancelable({ name: 'reindex\x1b[31m', sources: [worker.source(`reindex-${flag.slice(2)}`)] })
        .run(() => token.waitForCancel().then(() => undefined))
        .catch((error: unknown) => error as Error);
      try {
        const id = `reindex-${flag.slice(2)}`;
        let listed = '';
        for (let i = 0; i < 100 && !listed.includes(id); i++) {
          listed = (await runHere(['ps', flag, url(), '--namespace', ns])).stdout;
          if (!listed.includes(id)) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(listed).toMatch(/^fleet at .+: 1 live operation in 1 process\n/);
        expect(listed).toContain(`pid ${process.pid}:`);
        expect(listed).toMatch(new RegExp(`${id}\\s+reindex\\\\x1b\\[31m\\s+running`));
        const json = JSON.parse((await runHere(['ps', flag, url(), '--namespace', ns, '--json'])).stdout) as { id: string; pid: number }[];
        expect(json).toMatchObject([{ id, pid: process.pid }]);

        const missing = await runHere(['cancel', 'no-such-op', flag, url(), '--namespace', ns]);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toContain('no live operation has id "no-such-op" in the fleet');

        const cancelled = await runHere(['cancel', id, flag, url(), '--namespace', ns, '--message', 'from the CLI']);
        expect(cancelled).toMatchObject({ code: 0, stdout: `cancelled ${id}\n` });
        expect(((await run) as Error).message).toBe('from the CLI');
        const again = await runHere(['cancel', id, flag, url(), '--namespace', ns]);
        expect(again.stdout + again.stderr).toMatch(/already cancelled|no live operation/);
      } finally {
        await token.cancel();
        await run;
        await worker.close();
      }
    }, 60_000);
  });

  it('`dashboard --redis` shows the fleet over real HTTP', async () => {
    const worker = await fleetFromUrl(redis.url, { namespace: redisNs, pollMs: 3_600_000 });
    const token = new CancelationToken();
    const run = new Cancelable({ name: 'fleet-job', sources: [worker.source('fleet-job-1')] })
      .run(() => token.waitForCancel().then(() => undefined))
      .catch(() => undefined);
    const abort = new AbortController();
    let stdout = '';
    const running = runCli(['dashboard', '--redis', redis.url, '--namespace', redisNs], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => undefined },
      env: process.env,
      signal: abort.signal,
    });
    try {
      while (!stdout.includes('\n')) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(stdout).toMatch(/^dashboard of the fleet at redis:\/\/.+ at http:\/\/127\.0\.0\.1:\d+\/\n$/);
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)\n$/.exec(stdout)![1]!;
      let text = '';
      for (let i = 0; i < 100 && !text.includes('fleet-job-1'); i++) {
        text = await (await fetch(`${url}api/operations`)).text();
        if (!text.includes('fleet-job-1')) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(text).toContain('fleet-job-1');
    } finally {
      abort.abort();
      expect(await running).toBe(0);
      await token.cancel();
      await run;
      await worker.close();
    }
  }, 60_000);

  it('says what is wrong with a fleet URL, without the password', async () => {
    const result = await runHere(['ps', '--redis', 'redis://user:s3cret@127.0.0.1:1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^cancelable: could not connect to Redis/);
    expect(result.stderr).not.toContain('s3cret');
    expect((await runHere(['ps', '--redis', 'http://x'])).code).toBe(2);
    expect((await runHere(['watch', '--redis', 'redis://127.0.0.1'])).code).toBe(2);
    expect((await runHere(['ps', '--namespace', 'x'])).code).toBe(2);
  }, 30_000);
});
