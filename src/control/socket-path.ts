/**
 * Where control endpoints live: one socket per process, named after its pid, in a per-user runtime
 * directory, so a CLI can find a process by pid or list every process that listens.
 */
import { readdir } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { checkInteger } from '../core/validate.js';

const isWindows = process.platform === 'win32';
const PIPE_DIR = '\\\\.\\pipe\\';
const NAME = /^cancelable-(\d+)\.sock$/;
const PIPE_NAME = /^cancelable-(\d+)$/;

/**
 * The directory of default sockets: `$CANCELABLE_SOCKET_DIR`, else `$XDG_RUNTIME_DIR`, else
 * `<tmpdir>/cancelable-<uid>` — a per-user directory, never the shared temp dir itself (there any
 * user could take or replace a socket's path). `listen()` creates the last one (0700) and refuses a
 * directory owned by another user or writable by others. (On Windows, named pipes live in
 * `\\.\pipe\` whatever this says.)
 * @example
 * ```ts
 * defaultSocketDir(); // '/run/user/1000', or '/tmp/cancelable-1000' without XDG_RUNTIME_DIR
 * ```
 */
export function defaultSocketDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CANCELABLE_SOCKET_DIR || env.XDG_RUNTIME_DIR || perUserTempDir();
}

/** `<tmpdir>/cancelable-<uid>` (`cancelable-<username>` where there are no uids). */
function perUserTempDir(): string {
  const who = typeof process.getuid === 'function' ? String(process.getuid()) : safeUserName();
  return join(tmpdir(), `cancelable-${who}`);
}

function safeUserName(): string {
  try {
    return userInfo().username.replace(/[^\w.-]/g, '_') || 'user';
  } catch {
    return 'user';
  }
}

/**
 * The default control socket of process `pid` (default: this one):
 * `<defaultSocketDir()>/cancelable-<pid>.sock`, or `\\.\pipe\cancelable-<pid>` on Windows.
 * @example
 * ```ts
 * defaultSocketPath(4242); // '/run/user/1000/cancelable-4242.sock'
 * ```
 */
export function defaultSocketPath(pid: number = process.pid, env: NodeJS.ProcessEnv = process.env): string {
  checkInteger('pid', pid, 1);
  if (pid > MAX_PID) throw new RangeError(`pid must be at most ${MAX_PID} (a process id is a 32-bit integer), got ${pid}`);
  return isWindows ? `${PIPE_DIR}cancelable-${pid}` : join(defaultSocketDir(env), `cancelable-${pid}.sock`);
}

// pid_t is a signed 32-bit integer everywhere Node runs.
const MAX_PID = 2 ** 31 - 1;

/** A default-named control socket found on disk. */
export interface SocketCandidate {
  /** The pid in the socket's name. */
  pid: number;
  path: string;
}

/**
 * The default-named sockets in `dir` (default {@link defaultSocketDir}), live or stale, by pid.
 * Whether one is live is known only by connecting (see `ControlClient.connect`).
 * @example
 * ```ts
 * for (const { pid, path } of await findSocketCandidates()) console.log(pid, path);
 * ```
 */
export async function findSocketCandidates(dir?: string): Promise<SocketCandidate[]> {
  const where = isWindows && dir === undefined ? PIPE_DIR : (dir ?? defaultSocketDir());
  let names: string[];
  try {
    names = await readdir(where);
  } catch {
    return [];
  }
  const pattern = where === PIPE_DIR ? PIPE_NAME : NAME;
  const found: SocketCandidate[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (match !== null) found.push({ pid: Number(match[1]), path: where === PIPE_DIR ? PIPE_DIR + name : join(where, name) });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/** Longest socket path the platform accepts (`sun_path` less the terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** Throws a RangeError for a Unix socket path the OS would silently truncate. */
export function checkSocketPath(name: string, path: string): void {
  if (isWindows) return;
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new RangeError(
      `${name} is ${bytes} bytes long; Unix socket paths are limited to ${MAX_SOCKET_PATH_BYTES} bytes: ${path}`,
    );
  }
}
