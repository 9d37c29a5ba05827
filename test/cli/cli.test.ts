import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatAge, formatEvent, formatTree } from '../../src/cli/format.js';
import { parseCommandLine } from '../../src/cli/args.js';
import { runCli, type CliIO } from '../../src/cli/run.js';
import { Cancelable, OperationRegistry, type OperationContext } from '../../src/index.js';
import { ControlClient, serveRegistry } from '../../src/processes/index.js';
import { inScope } from '../harness/in-scope.js';

const NODE = process.execPath;
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TARGET = fileURLToPath(new URL('./fixtures/target.ts', import.meta.url));
const isWindows = process.platform === 'win32';
const dir = mkdtempSync(join(tmpdir(), 'cbl-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => mkdtempSync(join(dir, `d${++counter}-`));

/** Reads a stream line by line. */
function lineReader(stream: Readable | null | undefined): () => Promise<string> {
  if (!stream) throw new Error('no stream');
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  return () => {
    const line = lines.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise<string>((resolve) => waiting.push(resolve));
  };
}

/** Runs the real CLI in its own process. */
function cli(scope: Cancelable, args: string[], env: NodeJS.ProcessEnv = {}) {
  return inScope(scope).spawn(NODE, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env } });
}

/** Runs the CLI in this process and captures its output. */
async function runHere(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...process.env, ...env },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

interface TargetInfo {
  pid: number;
  path: string;
  id: string;
}

describe('the cancelable CLI, end to end', () => {
  it('lists the operations of another process as a tree and cancels one by id prefix', async () => {
    await new Cancelable().run(async (scope) => {
      const target = inScope(scope).spawn(NODE, ['--import', 'tsx', TARGET, join(freshDir(), 'target.sock')]);
      const next = lineReader(target.child!.stdout);
      const info = JSON.parse(await next()) as TargetInfo;

      const ps = await cli(scope, ['ps', '--socket', info.path]);
      expect(ps.code).toBe(0);
      const lines = ps.stdout!.trim().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^process ${info.pid} \\(.*target\\.ts.*\\): 2 live operations$`));
      expect(lines[1]).toMatch(/^ID\s+NAME\s+STATUS\s+AGE\s+PROGRESS$/);
      expect(lines[2]).toMatch(/^[0-9a-f]{8}\s+service\s+running\s+\S+$/);
      expect(lines[3]).toMatch(new RegExp(`^${info.id.slice(0, 8)}\\s+└─ cli-target\\s+running\\s+\\S+\\s+tick \\d+$`));

      const json = await cli(scope, ['ps', '--socket', info.path, '--json']);
      const listed = JSON.parse(json.stdout!) as OperationContext[];
      expect(listed.map((c) => c.name)).toEqual(['service', 'cli-target']);

      const cancel = await cli(scope, ['cancel', info.id.slice(0, 6), '--socket', info.path, '--message', 'from the cli']);
      expect(cancel).toMatchObject({ code: 0, stdout: `cancelled ${info.id.slice(0, 8)}  cli-target\n` });
      expect(JSON.parse(await next())).toEqual({ cancelled: { reason: 'manual', message: 'from the cli' } });
      expect(await target).toMatchObject({ code: 0 });
    });
  });

  it.skipIf(isWindows)('finds a process by pid or alone in the default directory; cancels by --name regex', async () => {
    const socketDir = freshDir();
    const env = { CANCELABLE_SOCKET_DIR: socketDir };
    await new Cancelable().run(async (scope) => {
      const target = inScope(scope).spawn(NODE, ['--import', 'tsx', TARGET, 'default'], { env: { ...process.env, ...env } });
      const next = lineReader(target.child!.stdout);
      const info = JSON.parse(await next()) as TargetInfo;
      expect(info.path).toBe(join(socketDir, `cancelable-${info.pid}.sock`));

      const byPid = await cli(scope, ['ps', '--pid', String(info.pid)], env);
      expect(byPid.stdout).toContain('cli-target');
      const alone = await runHere(['ps'], env);
      expect(alone.stdout).toContain('cli-target');

      const cancel = await cli(scope, ['cancel', '--name', '/^CLI-/i', '--message', 'by name'], env);
      expect(cancel.code).toBe(0);
      expect(cancel.stdout).toBe(`cancelled 1 operation\n  ${info.id.slice(0, 8)}  cli-target\n`);
      expect(JSON.parse(await next())).toEqual({ cancelled: { reason: 'manual', message: 'by name' } });
      await target;
    });
  });

  it('watch streams the changes until the process goes away', async () => {
    await new Cancelable().run(async (scope) => {
      const target = inScope(scope).spawn(NODE, ['--import', 'tsx', TARGET, join(freshDir(), 'watched.sock')]);
      const info = JSON.parse(await lineReader(target.child!.stdout)()) as TargetInfo;
      const watch = cli(scope, ['watch', '--socket', info.path, '--json']);
      const next = lineReader(watch.child!.stdout);
      const events: { type: string; context: OperationContext }[] = [];
      while (events.filter((e) => e.type === 'progress').length < 2) events.push(JSON.parse(await next()));
      expect(events.every((e) => e.type === 'progress' && e.context.name === 'cli-target')).toBe(true);

      const client = await ControlClient.connect({ path: info.path });
      expect(await client.cancel(info.id, 'watched it go')).toBe(true);
      client.close();
      const seen: { type: string; context: OperationContext }[] = [];
      while (!seen.some((e) => e.type === 'end' && e.context.name === 'service')) seen.push(JSON.parse(await next()));
      expect(seen.find((e) => e.type === 'end' && e.context.name === 'cli-target')?.context).toMatchObject({
        status: 'cancelled',
        cancelReason: 'manual',
        cancelMessage: 'watched it go',
      });
      const ended = await watch;
      expect(ended.code).toBe(0);
      expect(ended.stderr).toContain('the watched process closed the connection');
      await target;
    });
  });

  it('exits with 1 and a helpful message when nothing listens', async () => {
    await new Cancelable().run(async (scope) => {
      const missing = join(dir, 'nobody.sock');
      const result = await cli(scope, ['ps', '--socket', missing]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `cancelable: nothing listens at ${missing}: a process is not running or has not called registry.listen()\n`,
      );
    });
  });
});

describe('the cancelable CLI, in process', () => {
  it('explains what is wrong with --pid and with an empty directory', async () => {
    const empty = freshDir();
    const noProcess = await runHere(['ps', '--pid', '4194000'], { CANCELABLE_SOCKET_DIR: empty });
    expect(noProcess).toMatchObject({ code: 1, stderr: 'cancelable: no process 4194000 is running\n' });
    const notListening = await runHere(['ps', '--pid', String(process.pid)], { CANCELABLE_SOCKET_DIR: empty });
    expect(notListening.code).toBe(1);
    expect(notListening.stderr).toContain(`process ${process.pid} is not listening at ${join(empty, `cancelable-${process.pid}.sock`)}`);
    if (!isWindows) {
      const nobody = await runHere(['ps'], { CANCELABLE_SOCKET_DIR: empty });
      expect(nobody.code).toBe(1);
      expect(nobody.stderr).toContain(`no process of yours is listening in ${empty}`);
      expect(nobody.stderr).toContain('OperationRegistry.default.listen()');
    }
  });

  it.skipIf(isWindows)('asks for --pid when several processes listen, and lists sockets', async () => {
    const socketDir = freshDir();
    const env = { CANCELABLE_SOCKET_DIR: socketDir };
    const a = await serveRegistry(new OperationRegistry(), { path: join(socketDir, 'cancelable-101.sock') });
    const b = await serveRegistry(new OperationRegistry(), { path: join(socketDir, 'cancelable-102.sock') });
    try {
      const several = await runHere(['ps'], env);
      expect(several.code).toBe(1);
      expect(several.stderr).toMatch(/2 processes are listening; pick one:\n {2}--pid 101 .*\n {2}--pid 102 /);
      const list = await runHere(['sockets'], env);
      expect(list.stdout).toMatch(/^101\s+live\s+\S+cancelable-101\.sock/m);
      expect(list.stdout).toMatch(/^102\s+live\s+/m);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('ps, cancel and --json against a registry in this process', async () => {
    const registry = new OperationRegistry();
    const server = await registry.listen({ path: isWindows ? `\\\\.\\pipe\\cbl-cli-${process.pid}` : join(freshDir(), 's.sock') });
    try {
      const empty = await runHere(['ps', '--socket', server.path]);
      expect(empty.stdout).toBe(`process ${process.pid} (${process.argv.join(' ')}): 0 live operations\n`);

      const scope = new Cancelable({ name: 'local-job', register: registry });
      const run = scope.run((s) => s.sleep(60_000)).catch((error: unknown) => error);
      const missing = await runHere(['cancel', 'zzzz', '--socket', server.path]);
      expect(missing).toMatchObject({ code: 1, stderr: 'cancelable: no live operation has id "zzzz" (see `cancelable ps`)\n' });
      const none = await runHere(['cancel', '--name', 'nothing-like-it', '--socket', server.path]);
      expect(none.code).toBe(1);
      const json = await runHere(['cancel', scope.id, '--socket', server.path, '--json']);
      expect(JSON.parse(json.stdout)).toEqual({ cancelled: 1, matched: [scope.id] });
      expect(await run).toMatchObject({ reason: 'manual', message: 'Cancelled through the operation registry' });
    } finally {
      await server.close();
    }
  });

  it('rejects bad command lines with exit code 2 and the usage', async () => {
    for (const args of [['frobnicate'], ['cancel'], ['ps', '--pid', 'abc'], ['ps', '--socket', 'a', '--pid', '1'], ['ps', '--bogus'], ['watch', 'extra'], ['ps', '--message', 'x'], ['cancel', 'id', '--name', 'n']]) {
      const result = await runHere(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^cancelable: .+\n\nUsage: cancelable <command>/);
    }
    expect(await runHere(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: cancelable') });
    expect(await runHere([])).toMatchObject({ code: 0 });
    expect(parseCommandLine(['cancel', 'abc', '--message', 'm', '--pid', '7'])).toEqual({
      command: 'cancel',
      target: { pid: 7 },
      json: false,
      id: 'abc',
      name: undefined,
      message: 'm',
    });
  });
});

describe('CLI formatting', () => {
  const base = (over: Partial<OperationContext>): OperationContext => ({
    id: 'aaaaaaaa-0000',
    name: 'op',
    parentId: null,
    status: 'running',
    startTime: 0,
    endTime: null,
    durationMs: 1_500,
    cancelReason: null,
    cancelMessage: null,
    error: null,
    progress: null,
    partialResult: null,
    metadata: {},
    ...over,
  });

  it('draws the tree with branches, orphans as roots, and cancelling status', () => {
    const contexts = [
      base({ id: 'root-0001', name: 'root', startTime: 1 }),
      base({ id: 'kid-00001', name: 'first', parentId: 'root-0001', startTime: 2 }),
      base({ id: 'grand-001', name: 'grandchild', parentId: 'kid-00001', startTime: 3, progress: { message: 'Step 1', metadata: null, at: 9_000 } }),
      base({ id: 'kid-00002', name: 'second', parentId: 'root-0001', startTime: 4, cancelReason: 'manual' }),
      base({ id: 'orphan-01', name: 'orphan', parentId: 'gone', startTime: 5, durationMs: 65_000 }),
    ];
    expect(formatTree(contexts, 10_000)).toBe(
      [
        'ID        NAME              STATUS      AGE    PROGRESS',
        'root-000  root              running     1.5s',
        'kid-0000  ├─ first          running     1.5s',
        'grand-00  │  └─ grandchild  running     1.5s   Step 1 (1.0s ago)',
        'kid-0000  └─ second         cancelling  1.5s',
        'orphan-0  orphan            running     1m05s',
      ].join('\n'),
    );
  });

  it('formats ages and events', () => {
    expect([formatAge(350), formatAge(12_345), formatAge(185_000), formatAge(7_500_000), formatAge(200_000_000), formatAge(null)]).toEqual([
      '350ms',
      '12.3s',
      '3m05s',
      '2h05m',
      '2d07h',
      '-',
    ]);
    const at = new Date(2024, 0, 1, 9, 5, 7, 42);
    expect(formatEvent({ type: 'end', context: base({ status: 'cancelled', cancelReason: 'timeout', cancelMessage: 'too slow' }) }, at)).toBe(
      '09:05:07.042  end       aaaaaaaa  op  cancelled after 1.5s (timeout: too slow)',
    );
    expect(formatEvent({ type: 'start', context: base({}) }, at)).toBe('09:05:07.042  start     aaaaaaaa  op');
  });
});
