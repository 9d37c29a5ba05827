/** Command-line parsing of the `cancelable` CLI (node:util parseArgs; no dependencies). */
import { parseArgs } from 'node:util';

/** A parsed command line. */
export type CliCommand =
  | { command: 'help' }
  | { command: 'ps'; target: CliTarget; json: boolean }
  | { command: 'cancel'; target: CliTarget; json: boolean; id: string | undefined; name: string | undefined; message: string | undefined }
  | { command: 'watch'; target: CliTarget; json: boolean }
  | { command: 'sockets'; json: boolean };

/** Which process to talk to: a socket path, a pid, or "find the one". */
export type CliTarget = { socket: string } | { pid: number } | { auto: true };

/** A command line that cannot be run; the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  override get name(): string {
    return 'UsageError';
  }
}

export const USAGE = `Usage: cancelable <command> [options]

Commands:
  ps                        List the live operations as a tree (status, age, last progress)
  cancel <id>               Cancel one operation (its id, or a unique prefix of it)
  cancel --name <pattern>   Cancel every live operation whose name matches
                            (a case-insensitive substring, or /regex/flags)
  watch                     Stream starts, progress reports and ends as they happen
  sockets                   List the control sockets in the default directory

Options:
  --socket <path>   Talk to the process listening on this socket
  --pid <pid>       Talk to process <pid> (its socket in the default directory)
  --message <text>  With cancel: the cancellation message
  --json            JSON output (watch: one JSON object per line)
  -h, --help        Show this help

Without --socket or --pid, the one process listening in the default directory is used
($CANCELABLE_SOCKET_DIR, else $XDG_RUNTIME_DIR, else the temp dir). A process listens with
  await OperationRegistry.default.listen();`;

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
    for (const key of ['socket', 'pid', 'message', 'name'] as const) {
      if (values[key] !== undefined && !allowed.includes(key)) throw new UsageError(`--${key} does not apply to '${command}'`);
    }
  };
  switch (command) {
    case 'ps':
    case 'watch':
      only(['socket', 'pid']);
      if (rest.length > 0) throw new UsageError(`'${command}' takes no arguments, got ${JSON.stringify(rest[0])}`);
      return { command, target: target(values), json };
    case 'cancel': {
      only(['socket', 'pid', 'message', 'name']);
      if (rest.length > 1) throw new UsageError(`'cancel' takes one id, got ${rest.length}`);
      const id = rest[0];
      const name = values.name;
      if (id === undefined && name === undefined) throw new UsageError("'cancel' needs an operation id or --name <pattern>");
      if (id !== undefined && name !== undefined) throw new UsageError("'cancel' takes an id or --name, not both");
      if (name === '') throw new UsageError('--name must not be empty');
      return { command, target: target(values), json, id, name, message: values.message };
    }
    case 'sockets':
      only([]);
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
      message: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function target(values: { socket?: string | undefined; pid?: string | undefined }): CliTarget {
  if (values.socket !== undefined && values.pid !== undefined) throw new UsageError('give --socket or --pid, not both');
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
  return { auto: true };
}
