/** The `cancelable` CLI, runnable in-process: `runCli(argv, io)` resolves with the exit code. */
import type { OperationContext } from '../core/context.js';
import { ControlClient, ControlError } from '../control/client.js';
import { parseNamePattern } from '../control/name-pattern.js';
import type { ControlInfo } from '../control/protocol.js';
import { defaultSocketDir, defaultSocketPath, findSocketCandidates } from '../control/socket-path.js';
import type { DashboardSource, FleetRemote } from '../dashboard/types.js';
import type { RemoteCancelation } from '../remote/remote.js';
import { parseCommandLine, USAGE, UsageError, type CliCommand, type CliTarget } from './args.js';
import { escapeControl, escapeLines } from './escape.js';
import { formatEvent, formatTree, shortId } from './format.js';

/** Where the CLI writes, its environment, and what ends a long-running command. */
export interface CliIO {
  /** Standard output; `once('drain')` (a stream's) lets `watch` wait for a slow reader. */
  stdout: { write(text: string): unknown; once?(event: 'drain', listener: () => void): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Ends `watch` and `dashboard` (main.ts aborts it on SIGINT and SIGTERM). */
  signal?: AbortSignal;
}

/** A failure the user can act on: printed without a stack, exit code 1. Our text: names inside are escaped. */
class CliError extends Error {}

const isWindows = process.platform === 'win32';

/**
 * Runs one CLI command. Resolves with the exit code: 0 success, 1 failure (nothing listens, no such
 * operation...), 2 bad command line. `watch` and `dashboard` resolve when the watched process goes
 * away or `io.signal` aborts.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`cancelable: ${escapeLines(error.message)}\n\n${USAGE}\n`);
    return 2;
  }
  if (command.command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    if (command.command === 'sockets') return await sockets(io, command.json);
    if ('fleet' in command.target) return await onFleet(command, command.target, io);
    const client = await connectTo(command.target, io.env, command.timeoutMs);
    try {
      switch (command.command) {
        case 'ps':
          return await ps(client, io, command.json);
        case 'cancel':
          return await cancel(client, io, command);
        case 'watch':
          return await watch(client, io, command.json);
        case 'dashboard':
          return await dashboardOf(client, io, command);
      }
    } finally {
      client.close();
    }
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`cancelable: ${escapeLines(error.message)}\n`);
      return 1;
    }
    if (error instanceof ControlError || error instanceof TypeError || error instanceof RangeError || isFleetError(error)) {
      // Messages that may quote the other side: one escaped line.
      io.stderr.write(`cancelable: ${escapeControl((error as Error).message)}\n`);
      return 1;
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------- finding the process

async function connectTo(target: CliTarget, env: NodeJS.ProcessEnv, requestTimeoutMs: number | undefined): Promise<ControlClient> {
  const timeouts = requestTimeoutMs === undefined ? {} : { requestTimeoutMs };
  // Named explicitly: trusted whoever owns it.
  if ('socket' in target) return ControlClient.connect({ path: target.socket, ...timeouts });
  if ('pid' in target) {
    const path = defaultSocketPath(target.pid, env);
    try {
      return await ControlClient.connect({ path, requireOwner: true, ...timeouts });
    } catch (error) {
      if (!(error instanceof ControlError) || (error.code !== 'ENOENT' && error.code !== 'ECONNREFUSED')) throw error;
      if (!processExists(target.pid)) throw new CliError(`no process ${target.pid} is running`);
      throw new CliError(
        `process ${target.pid} is not listening at ${escapeControl(path)}` +
          (error.code === 'ECONNREFUSED' ? ' (a stale socket is there)' : '') +
          `. Has it called registry.listen()? If it listens elsewhere, pass --socket PATH (or set CANCELABLE_SOCKET_DIR; the default directory comes from $XDG_RUNTIME_DIR or the temp dir).`,
      );
    }
  }
  const dir = defaultSocketDir(env);
  const candidates = await findSocketCandidates(isWindows ? undefined : dir);
  const live: { pid: number; client: ControlClient }[] = [];
  const skipped = new Map<string, number>();
  const skip = (why: string): void => void skipped.set(why, (skipped.get(why) ?? 0) + 1);
  for (const candidate of candidates) {
    try {
      live.push({ pid: candidate.pid, client: await ControlClient.connect({ path: candidate.path, timeoutMs: 1_000, requireOwner: true, ...timeouts }) });
    } catch (error) {
      skip(skipReason(error));
    }
  }
  if (live.length === 1) return (live[0] as { client: ControlClient }).client;
  if (live.length === 0) {
    const notes = [...skipped].map(([why, n]) => `${n} ${why}${n > 1 ? 's' : ''}`);
    throw new CliError(
      `no process of yours is listening in ${isWindows ? '\\\\.\\pipe\\' : escapeControl(dir)}` +
        (notes.length > 0 ? ` (${notes.join(', ')})` : '') +
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

/** Why a candidate socket was not used, as a noun phrase (pluralised with an "s"). */
function skipReason(error: unknown): string {
  switch (error instanceof ControlError ? error.code : undefined) {
    case 'ECONNREFUSED':
      return 'stale socket from an exited process';
    case 'EPERM':
      return "other user's socket";
    case 'ENOTSOCK':
      return 'file that is not a socket';
    case 'ETIMEDOUT':
      return 'socket that did not answer';
    case 'ENOENT':
      return 'socket removed while looking';
    default:
      return 'socket that could not be used';
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process, escaped and shortened. */
function describeProcess(info: ControlInfo): string {
  const argv = Array.isArray(info?.argv) ? info.argv.map(String) : [];
  const command = argv.length > 0 ? argv.join(' ') : String(info?.title ?? '');
  return escapeControl(command.length > 100 ? `${command.slice(0, 97)}...` : command);
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
  io.stdout.write(`process ${escapeControl(String(info.pid))} (${describeProcess(info)}): ${count} live operation${count === 1 ? '' : 's'}\n`);
  if (count > 0) io.stdout.write(`${formatTree(operations)}\n`);
  return 0;
}

async function cancel(
  client: ControlClient,
  io: CliIO,
  command: { id: string | undefined; name: string | undefined; message: string | undefined; json: boolean },
): Promise<number> {
  if (command.name !== undefined) {
    // A /regex/ is this user's own input: the client tests it here, the server only sees ids.
    const filter = { name: parseNamePattern(command.name) };
    const matching = await client.list(filter);
    const count = await client.cancelAll(filter, command.message);
    if (command.json) io.stdout.write(`${JSON.stringify({ cancelled: count, matched: matching.map((c) => c.id) })}\n`);
    else {
      io.stdout.write(`cancelled ${count} operation${count === 1 ? '' : 's'}\n`);
      for (const context of matching) io.stdout.write(`  ${shortId(context.id)}  ${escapeControl(String(context.name))}\n`);
    }
    if (matching.length === 0) {
      io.stderr.write(`cancelable: no live operation's name matches ${escapeControl(JSON.stringify(command.name))}\n`);
      return 1;
    }
    return 0;
  }
  const id = command.id as string;
  const target = findById(await client.list(), id);
  const found = await client.cancel(target.id, command.message);
  if (!found) throw new CliError(`operation ${shortId(target.id)} (${escapeControl(String(target.name))}) ended before it could be cancelled`);
  if (command.json) io.stdout.write(`${JSON.stringify({ cancelled: 1, matched: [target.id] })}\n`);
  else io.stdout.write(`cancelled ${shortId(target.id)}  ${escapeControl(String(target.name))}\n`);
  return 0;
}

/** The live operation whose id is `id` or starts with it (a unique, non-empty prefix). */
function findById(operations: readonly OperationContext[], id: string): OperationContext {
  if (id === '') throw new CliError('the operation id must not be empty');
  const exact = operations.find((context) => context.id === id);
  if (exact !== undefined) return exact;
  const matches = operations.filter((context) => typeof context.id === 'string' && context.id.startsWith(id));
  if (matches.length === 1) return matches[0] as OperationContext;
  if (matches.length === 0) throw new CliError(`no live operation has id ${escapeControl(JSON.stringify(id))} (see \`cancelable ps\`)`);
  throw new CliError(
    `id prefix ${escapeControl(JSON.stringify(id))} is ambiguous; it matches:\n${matches
      .map((c) => `  ${escapeControl(c.id)}  ${escapeControl(String(c.name))}`)
      .join('\n')}`,
  );
}

async function watch(client: ControlClient, io: CliIO, json: boolean): Promise<number> {
  let paused = false;
  await client.watch((event) => {
    const flushed = io.stdout.write(json ? `${JSON.stringify(event)}\n` : `${formatEvent(event)}\n`);
    // Behind a slow stdout, stop reading: the events wait in the kernel, then on the server, which
    // drops this watcher past its cap, rather than piling up in this process.
    if (flushed === false && !paused && typeof io.stdout.once === 'function') {
      paused = true;
      client.pause();
      io.stdout.once('drain', () => {
        paused = false;
        client.resume();
      });
    }
  });
  io.stderr.write(`watching ${escapeControl(client.path)} (Ctrl+C to stop)\n`);
  const why = await untilEnded(client.closed, io.signal);
  if (why === 'closed') io.stderr.write('cancelable: the watched process closed the connection\n');
  return 0;
}

/** Resolves with what came first: the connection ended, or the signal aborted. */
function untilEnded(closed: Promise<void>, signal: AbortSignal | undefined): Promise<'closed' | 'aborted'> {
  if (signal?.aborted === true) return Promise.resolve('aborted');
  return new Promise((resolve) => {
    const onAbort = (): void => resolve('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    void closed.then(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve('closed');
    });
  });
}

async function dashboardOf(client: ControlClient, io: CliIO, command: { port: number; readOnly: boolean }): Promise<number> {
  const [{ controlClientSource }, info] = await Promise.all([import('../dashboard/sources/control-source.js'), client.info()]);
  const description = `process ${String(info.pid)}`;
  const served = await serve(io, controlClientSource(client, description), command, description);
  try {
    const why = await untilEnded(client.closed, io.signal);
    if (why === 'closed') io.stderr.write('cancelable: the watched process closed the connection\n');
  } finally {
    await served.close();
  }
  return 0;
}

async function serve(
  io: CliIO,
  source: DashboardSource,
  command: { port: number; readOnly: boolean },
  description: string,
): Promise<{ close(): Promise<void> }> {
  const { serveDashboard } = await import('../dashboard/serve.js');
  const served = await serveDashboard({ source, port: command.port, readOnly: command.readOnly });
  // Start watching now (the page would on its first request): the connection is then in use, not idle.
  await served.dashboard.fetch(new Request(new URL('api/stats', served.url))).then((response) => response.body?.cancel());
  io.stdout.write(`dashboard of ${escapeControl(description)} at ${served.url}${command.readOnly ? ' (read-only)' : ''}\n`);
  return served;
}

async function sockets(io: CliIO, json: boolean): Promise<number> {
  const dir = defaultSocketDir(io.env);
  const candidates = await findSocketCandidates(isWindows ? undefined : dir);
  const rows: { pid: number; path: string; live: boolean; state: string; command: string | null }[] = [];
  for (const candidate of candidates) {
    let info: ControlInfo | undefined;
    let state = 'live';
    try {
      const client = await ControlClient.connect({ path: candidate.path, timeoutMs: 1_000, requestTimeoutMs: 2_000, requireOwner: true });
      try {
        info = await client.info();
      } finally {
        client.close();
      }
    } catch (error) {
      const code = error instanceof ControlError ? error.code : undefined;
      state = code === 'ECONNREFUSED' ? 'stale' : code === 'EPERM' ? 'other-user' : code === 'ENOTSOCK' ? 'not-a-socket' : 'no-answer';
    }
    rows.push({ ...candidate, live: info !== undefined, state, command: info !== undefined ? describeProcess(info) : null });
  }
  if (json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) io.stdout.write(`no control sockets in ${isWindows ? '\\\\.\\pipe\\' : escapeControl(dir)}\n`);
  else {
    for (const row of rows) {
      io.stdout.write(`${String(row.pid).padEnd(8)}${row.state.padEnd(13)}${escapeControl(row.path)}${row.command !== null ? `  ${row.command}` : ''}\n`);
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------- the fleet (--redis, --postgres)

class FleetError extends Error {}

function isFleetError(error: unknown): boolean {
  return error instanceof FleetError || (error instanceof Error && /^could not connect to|is not installed|cannot find module/i.test(error.message));
}

/** The URL as shown: without its password. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return escapeControl(parsed.toString());
  } catch {
    return '<the URL given>';
  }
}

async function onFleet(
  command: Exclude<CliCommand, { command: 'help' | 'sockets' }>,
  { fleet: url, namespace }: { fleet: string; namespace: string | undefined },
  io: CliIO,
): Promise<number> {
  const { fleetFromUrl } = await import('../remote/from-url.js');
  let fleet: RemoteCancelation;
  try {
    fleet = await fleetFromUrl(url, namespace === undefined ? undefined : { namespace });
  } catch (error) {
    throw new FleetError(error instanceof Error ? error.message : String(error));
  }
  try {
    switch (command.command) {
      case 'ps':
        return await fleetPs(fleet, url, io, command.json);
      case 'cancel':
        return await fleetCancel(fleet, io, command);
      case 'dashboard': {
        const { fleetSource } = await import('../dashboard/sources/fleet-source.js');
        const served = await serve(io, fleetSource(fleet as unknown as FleetRemote), command, `the fleet at ${redact(url)}`);
        try {
          await untilEnded(new Promise<void>(() => undefined), io.signal);
        } finally {
          await served.close();
        }
        return 0;
      }
      case 'watch':
        throw new CliError('watch does not apply to a fleet');
    }
  } finally {
    await fleet.close();
  }
}

async function fleetPs(fleet: RemoteCancelation, url: string, io: CliIO, json: boolean): Promise<number> {
  const operations = await fleet.list();
  if (json) {
    io.stdout.write(`${JSON.stringify(operations, null, 2)}\n`);
    return 0;
  }
  const groups = new Map<string, typeof operations>();
  for (const operation of operations) {
    const key = `${operation.host}\u0000${operation.pid}\u0000${operation.instance}`;
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(operation);
  }
  const count = operations.length;
  io.stdout.write(`fleet at ${redact(url)}: ${count} live operation${count === 1 ? '' : 's'} in ${groups.size} process${groups.size === 1 ? '' : 'es'}\n`);
  for (const list of groups.values()) {
    const first = list[0] as (typeof operations)[number];
    io.stdout.write(`\n${escapeControl(first.host)} pid ${first.pid}:\n`);
    io.stdout.write(`${formatTree(list, Date.now(), true).replace(/^/gm, '  ')}\n`);
  }
  return 0;
}

async function fleetCancel(
  fleet: RemoteCancelation,
  io: CliIO,
  command: { id: string | undefined; name: string | undefined; message: string | undefined; json: boolean },
): Promise<number> {
  const options = { reason: 'manual' as const, ...(command.message === undefined ? {} : { message: command.message }) };
  if (command.name !== undefined) {
    const pattern = parseNamePattern(command.name);
    const test =
      typeof pattern === 'string' ? (name: string) => name.toLowerCase().includes(pattern.toLowerCase()) : (name: string) => pattern.test(name);
    const matching = (await fleet.list()).filter((operation) => test(String(operation.name)));
    let count = 0;
    for (const operation of matching) if ((await fleet.cancel(operation.id, options)).cancelled) count++;
    if (command.json) io.stdout.write(`${JSON.stringify({ cancelled: count, matched: matching.map((c) => c.id) })}\n`);
    else {
      io.stdout.write(`cancelled ${count} operation${count === 1 ? '' : 's'}\n`);
      for (const operation of matching) {
        io.stdout.write(`  ${escapeControl(operation.id)}  ${escapeControl(String(operation.name))}  (${escapeControl(operation.host)} pid ${operation.pid})\n`);
      }
    }
    if (matching.length === 0) {
      io.stderr.write(`cancelable: no live operation's name matches ${escapeControl(JSON.stringify(command.name))} in the fleet\n`);
      return 1;
    }
    return 0;
  }
  const id = command.id as string;
  const result = await fleet.cancel(id, options);
  if (command.json) io.stdout.write(`${JSON.stringify({ id, ...result })}\n`);
  if (!result.running) {
    io.stderr.write(
      `cancelable: no live operation has id ${escapeControl(JSON.stringify(id))} in the fleet (ids are exact there; see \`cancelable ps\`). ` +
        'The cancel is recorded: an operation that starts with this id stops at once.\n',
    );
    return 1;
  }
  if (!command.json) io.stdout.write(result.cancelled ? `cancelled ${escapeControl(id)}\n` : `${escapeControl(id)} was already cancelled (the first reason stays)\n`);
  return 0;
}

