/** Command-line parsing of the `cancelable` CLI (node:util parseArgs; no dependencies). */
import { parseArgs } from 'node:util';

/** A parsed command line. */
export type CliCommand =
  | { command: 'help' }
  | { command: 'ps'; target: CliTarget; json: boolean; timeoutMs: number | undefined }
  | {
      command: 'cancel';
      target: CliTarget;
      json: boolean;
      timeoutMs: number | undefined;
      id: string | undefined;
      name: string | undefined;
      message: string | undefined;
    }
  | { command: 'watch'; target: CliTarget; json: boolean; timeoutMs: number | undefined }
  | { command: 'dashboard'; target: CliTarget; port: number; readOnly: boolean; timeoutMs: number | undefined }
  | { command: 'sockets'; json: boolean };

/**
 * Which process (or fleet) to talk to: a socket path, a pid, a fleet URL, or "find the one" in the
 * default directory.
 */
export type CliTarget = { socket: string } | { pid: number } | { fleet: string; namespace: string | undefined } | { auto: true };

/** A command line that cannot be run; the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  override get name(): string {
    return 'UsageError';
  }
}

export const USAGE = `Usage: cancelable <command> [options]

Commands:
  ps                        List the live operations as a tree (status, age, last progress)
  cancel <id>               Cancel one operation (its id, or a unique prefix of it; with a fleet,
                            the exact id)
  cancel --name <pattern>   Cancel every live operation whose name matches
                            (a case-insensitive substring, or /regex/flags)
  watch                     Stream starts, progress reports and ends as they happen
  dashboard                 Serve the live dashboard on 127.0.0.1 and print its address
  sockets                   List the control sockets in the default directory

Options:
  --socket <path>    Talk to the process listening on this socket (trusted whoever owns it)
  --pid <pid>        Talk to process <pid> (its socket in the default directory)
  --redis <url>      ps, cancel, dashboard: the whole fleet registered in Redis
  --postgres <url>   ps, cancel, dashboard: the whole fleet registered in PostgreSQL
  --namespace <ns>   With --redis/--postgres: the fleet's namespace (default cancelable)
  --message <text>   With cancel: the cancellation message
  --port <n>         With dashboard: the port (default 0: any free one)
  --read-only        With dashboard: no cancel buttons, and the API refuses actions
  --timeout <ms>     How long to wait for each answer (default 10000)
  --json             JSON output (watch: one JSON object per line)
  -h, --help         Show this help

Without --socket, --pid, --redis or --postgres, the one process of yours listening in the default
directory is used ($CANCELABLE_SOCKET_DIR, else $XDG_RUNTIME_DIR, else <tmpdir>/cancelable-<uid>);
sockets of other users are never used unless named with --socket. A process listens with
  await OperationRegistry.default.listen();`;

const TARGET_KEYS = ['socket', 'pid', 'redis', 'postgres'] as const;

/** Parses `argv` (without `node` and the script). Throws {@link UsageError}. */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals.length === 0 || positionals[0] === 'help') return { command: 'help' };
  const [command, ...rest] = positionals as [string, ...string[]];
  const json = values.json === true;
  const only = (allowed: readonly string[]): void => {
    for (const key of [...TARGET_KEYS, 'namespace', 'message', 'name', 'port', 'timeout', 'read-only', 'json'] as const) {
      if (values[key] !== undefined && !allowed.includes(key)) throw new UsageError(`--${key} does not apply to '${command}'`);
    }
  };
  if (values.namespace !== undefined && values.redis === undefined && values.postgres === undefined) {
    throw new UsageError('--namespace applies only with --redis or --postgres');
  }
  const timeoutMs = values.timeout === undefined ? undefined : positiveInteger('--timeout', values.timeout, 1);
  switch (command) {
    case 'ps':
      only([...TARGET_KEYS, 'namespace', 'timeout', 'json']);
      if (rest.length > 0) throw new UsageError(`'ps' takes no arguments, got ${JSON.stringify(rest[0])}`);
      return { command, target: target(values), json, timeoutMs };
    case 'watch': {
      only(['socket', 'pid', 'timeout', 'json']);
      if (rest.length > 0) throw new UsageError(`'watch' takes no arguments, got ${JSON.stringify(rest[0])}`);
      return { command, target: target(values), json, timeoutMs };
    }
    case 'cancel': {
      only([...TARGET_KEYS, 'namespace', 'message', 'name', 'timeout', 'json']);
      if (rest.length > 1) throw new UsageError(`'cancel' takes one id, got ${rest.length}`);
      const id = rest[0];
      const name = values.name;
      if (id === undefined && name === undefined) throw new UsageError("'cancel' needs an operation id or --name <pattern>");
      if (id !== undefined && name !== undefined) throw new UsageError("'cancel' takes an id or --name, not both");
      // An empty id is a prefix of every id, an empty name a substring of every name: never "all".
      if (id !== undefined && id.trim() === '') throw new UsageError('the operation id must not be empty');
      if (name !== undefined && name.trim() === '') throw new UsageError('--name must not be empty');
      return { command, target: target(values), json, timeoutMs, id, name, message: values.message };
    }
    case 'dashboard': {
      only([...TARGET_KEYS, 'namespace', 'port', 'read-only', 'timeout']);
      if (rest.length > 0) throw new UsageError(`'dashboard' takes no arguments, got ${JSON.stringify(rest[0])}`);
      const port = values.port === undefined ? 0 : positiveInteger('--port', values.port, 0);
      if (port > 65_535) throw new UsageError(`--port must be at most 65535, got ${port}`);
      return { command, target: target(values), port, readOnly: values['read-only'] === true, timeoutMs };
    }
    case 'sockets':
      only(['json']);
      if (rest.length > 0) throw new UsageError(`'sockets' takes no arguments, got ${JSON.stringify(rest[0])}`);
      return { command, json };
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: argv as string[],
    allowPositionals: true,
    strict: true,
    options: {
      socket: { type: 'string' },
      pid: { type: 'string' },
      redis: { type: 'string' },
      postgres: { type: 'string' },
      namespace: { type: 'string' },
      message: { type: 'string' },
      name: { type: 'string' },
      port: { type: 'string' },
      timeout: { type: 'string' },
      'read-only': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function positiveInteger(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function target(values: { socket?: string; pid?: string; redis?: string; postgres?: string; namespace?: string }): CliTarget {
  const given = TARGET_KEYS.filter((key) => values[key] !== undefined);
  if (given.length > 1) throw new UsageError(`give one of --socket, --pid, --redis or --postgres, not ${given.map((key) => `--${key}`).join(' and ')}`);
  if (values.socket !== undefined) {
    if (values.socket === '') throw new UsageError('--socket must not be empty');
    return { socket: values.socket };
  }
  if (values.pid !== undefined) {
    const pid = Number(values.pid);
    if (!/^\d+$/.test(values.pid) || !Number.isSafeInteger(pid) || pid < 1) {
      throw new UsageError(`--pid must be a process id (a positive integer), got ${JSON.stringify(values.pid)}`);
    }
    return { pid };
  }
  if (values.redis !== undefined) {
    if (!/^rediss?:\/\/./i.test(values.redis)) throw new UsageError('--redis must be a redis:// or rediss:// URL');
    return { fleet: values.redis, namespace: values.namespace };
  }
  if (values.postgres !== undefined) {
    if (!/^postgres(ql)?:\/\/./i.test(values.postgres)) throw new UsageError('--postgres must be a postgres:// or postgresql:// URL');
    return { fleet: values.postgres, namespace: values.namespace };
  }
  return { auto: true };
}
