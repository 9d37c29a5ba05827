/** The `cancelable` CLI, runnable in-process: `runCli(argv, io)` resolves with the exit code. */
import type { OperationContext } from '../core/context.js';
import { ControlClient, ControlError } from '../processes/control-client.js';
import type { ControlInfo } from '../processes/control-protocol.js';
import { defaultSocketDir, defaultSocketPath, findSocketCandidates } from '../processes/socket-path.js';
import { parseCommandLine, USAGE, UsageError, type CliTarget } from './args.js';
import { formatEvent, formatTree, shortId } from './format.js';

/** Where the CLI writes, and its environment. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** A failure the user can act on: printed without a stack, exit code 1. */
class CliError extends Error {}

const isWindows = process.platform === 'win32';

/**
 * Runs one CLI command. Resolves with the exit code: 0 success, 1 failure (nothing listens, no such
 * operation...), 2 bad command line. `watch` resolves when the watched process goes away.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`cancelable: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command.command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    if (command.command === 'sockets') return await sockets(io, command.json);
    const client = await connectTo(command.target, io.env);
    try {
      switch (command.command) {
        case 'ps':
          return await ps(client, io, command.json);
        case 'cancel':
          return await cancel(client, io, command);
        case 'watch':
          return await watch(client, io, command.json);
      }
    } finally {
      client.close();
    }
  } catch (error) {
    if (error instanceof CliError || error instanceof ControlError) {
      io.stderr.write(`cancelable: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------- finding the process

async function connectTo(target: CliTarget, env: NodeJS.ProcessEnv): Promise<ControlClient> {
  if ('socket' in target) return ControlClient.connect({ path: target.socket });
  if ('pid' in target) {
    const path = defaultSocketPath(target.pid, env);
    try {
      return await ControlClient.connect({ path });
    } catch (error) {
      if (!(error instanceof ControlError) || (error.code !== 'ENOENT' && error.code !== 'ECONNREFUSED')) throw error;
      if (!processExists(target.pid)) throw new CliError(`no process ${target.pid} is running`);
      throw new CliError(
        `process ${target.pid} is not listening at ${path}` +
          (error.code === 'ECONNREFUSED' ? ' (a stale socket is there)' : '') +
          `. Has it called registry.listen()? If it listens elsewhere, pass --socket PATH (or set CANCELABLE_SOCKET_DIR; the default directory comes from $XDG_RUNTIME_DIR or the temp dir).`,
      );
    }
  }
  const dir = defaultSocketDir(env);
  const candidates = await findSocketCandidates(isWindows ? undefined : dir);
  const live: { pid: number; client: ControlClient }[] = [];
  let stale = 0;
  for (const candidate of candidates) {
    try {
      live.push({ pid: candidate.pid, client: await ControlClient.connect({ path: candidate.path, timeoutMs: 1_000 }) });
    } catch {
      stale++;
    }
  }
  if (live.length === 1) return (live[0] as { client: ControlClient }).client;
  if (live.length === 0) {
    throw new CliError(
      `no process is listening in ${isWindows ? '\\\\.\\pipe\\' : dir}` +
        (stale > 0 ? ` (${stale} stale socket${stale > 1 ? 's' : ''} from exited processes)` : '') +
        '. A process listens with `await OperationRegistry.default.listen()`; or pass --socket PATH.',
    );
  }
  const lines: string[] = [];
  for (const { pid, client } of live) {
    const info = await client.info().catch(() => undefined);
    client.close();
    lines.push(`  --pid ${pid}${info !== undefined ? `  ${describeProcess(info)}` : ''}`);
  }
  throw new CliError(`${live.length} processes are listening; pick one:\n${lines.join('\n')}`);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describeProcess(info: ControlInfo): string {
  const command = info.argv.length > 0 ? info.argv.join(' ') : info.title;
  return command.length > 100 ? `${command.slice(0, 97)}...` : command;
}

// ---------------------------------------------------------------------------- commands

async function ps(client: ControlClient, io: CliIO, json: boolean): Promise<number> {
  const operations = await client.list();
  if (json) {
    io.stdout.write(`${JSON.stringify(operations, null, 2)}\n`);
    return 0;
  }
  const info = await client.info();
  const count = operations.length;
  io.stdout.write(`process ${info.pid} (${describeProcess(info)}): ${count} live operation${count === 1 ? '' : 's'}\n`);
  if (count > 0) io.stdout.write(`${formatTree(operations)}\n`);
  return 0;
}

async function cancel(
  client: ControlClient,
  io: CliIO,
  command: { id: string | undefined; name: string | undefined; message: string | undefined; json: boolean },
): Promise<number> {
  if (command.name !== undefined) {
    const matching = await client.list({ name: command.name });
    const count = await client.cancelAll({ name: command.name }, command.message);
    if (command.json) io.stdout.write(`${JSON.stringify({ cancelled: count, matched: matching.map((c) => c.id) })}\n`);
    else {
      io.stdout.write(`cancelled ${count} operation${count === 1 ? '' : 's'}\n`);
      for (const context of matching) io.stdout.write(`  ${shortId(context.id)}  ${context.name}\n`);
    }
    if (matching.length === 0) {
      io.stderr.write(`cancelable: no live operation's name matches ${JSON.stringify(command.name)}\n`);
      return 1;
    }
    return 0;
  }
  const id = command.id as string;
  const target = findById(await client.list(), id);
  const found = await client.cancel(target.id, command.message);
  if (!found) throw new CliError(`operation ${shortId(target.id)} (${target.name}) ended before it could be cancelled`);
  if (command.json) io.stdout.write(`${JSON.stringify({ cancelled: 1, matched: [target.id] })}\n`);
  else io.stdout.write(`cancelled ${shortId(target.id)}  ${target.name}\n`);
  return 0;
}

/** The live operation whose id is `id` or starts with it (a unique prefix). */
function findById(operations: readonly OperationContext[], id: string): OperationContext {
  const exact = operations.find((context) => context.id === id);
  if (exact !== undefined) return exact;
  const matches = operations.filter((context) => context.id.startsWith(id));
  if (matches.length === 1) return matches[0] as OperationContext;
  if (matches.length === 0) throw new CliError(`no live operation has id ${JSON.stringify(id)} (see \`cancelable ps\`)`);
  throw new CliError(
    `id prefix ${JSON.stringify(id)} is ambiguous; it matches:\n${matches.map((c) => `  ${c.id}  ${c.name}`).join('\n')}`,
  );
}

async function watch(client: ControlClient, io: CliIO, json: boolean): Promise<number> {
  await client.watch((event) => {
    io.stdout.write(json ? `${JSON.stringify(event)}\n` : `${formatEvent(event)}\n`);
  });
  io.stderr.write(`watching ${client.path} (Ctrl+C to stop)\n`);
  await client.closed;
  io.stderr.write('cancelable: the watched process closed the connection\n');
  return 0;
}

async function sockets(io: CliIO, json: boolean): Promise<number> {
  const dir = defaultSocketDir(io.env);
  const candidates = await findSocketCandidates(isWindows ? undefined : dir);
  const rows: { pid: number; path: string; live: boolean; command: string | null }[] = [];
  for (const candidate of candidates) {
    let info: ControlInfo | undefined;
    try {
      const client = await ControlClient.connect({ path: candidate.path, timeoutMs: 1_000 });
      try {
        info = await client.info();
      } finally {
        client.close();
      }
    } catch {
      info = undefined;
    }
    rows.push({ ...candidate, live: info !== undefined, command: info !== undefined ? describeProcess(info) : null });
  }
  if (json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) io.stdout.write(`no control sockets in ${isWindows ? '\\\\.\\pipe\\' : dir}\n`);
  else {
    for (const row of rows) {
      io.stdout.write(`${String(row.pid).padEnd(8)}${(row.live ? 'live' : 'stale').padEnd(7)}${row.path}${row.command !== null ? `  ${row.command}` : ''}\n`);
    }
  }
  return 0;
}
