import { linkSync, lstatSync, chmodSync, existsSync, mkdtempSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { OperationStatus } from '../core/reasons.js';
import { checkInteger, checkOptions, checkOptionalString, describeValue } from '../core/validate.js';
import type { ControlFilter, ControlRegistry, ControlServer, ControlServerOptions } from '../registry/listen.js';
import {
  encodeLine,
  LineSplitter,
  MAX_LINE_BYTES,
  type ControlErrorCode,
  type ControlInfo,
  type ControlRequestId,
} from './protocol.js';
import { checkSocketParent, currentUid, isPerUserTempDir, preparePrivateDir } from './socket-dir.js';
import { ownSocketFile, releaseSocketFile } from './socket-files.js';
import { checkSocketPath, defaultSocketDir, defaultSocketPath } from './socket-path.js';

export type { ControlFilter, ControlRegistry, ControlServer, ControlServerOptions } from '../registry/listen.js';

/** Defaults of the endpoint's bounds (see {@link ControlServerOptions}). */
export const CONTROL_SERVER_DEFAULTS = {
  maxLineBytes: MAX_LINE_BYTES,
  maxConnections: 32,
  idleTimeoutMs: 30_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxClientBufferedBytes: 4 * 1024 * 1024,
} as const;

const PROBE_TIMEOUT_MS = 1_000;
const isWindows = process.platform === 'win32';

class RequestError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface Client {
  socket: Socket;
  /** The one watch of this connection: its request id and how to stop it. */
  watch: { id: ControlRequestId; unsubscribe: () => void } | undefined;
}

/**
 * Serves `registry` on a Unix domain socket (a named pipe on Windows) speaking line-delimited JSON
 * (see `protocol.ts`): ops `list`, `get`, `cancel`, `cancelAll`, `watch`, `unwatch`, `history`,
 * `stats` and `info`. The implementation of `registry.listen()`. Every byte a client sends is
 * treated as hostile:
 *
 * - The socket is owner-only (`0600`) from the first moment anyone could reach it: it is bound inside
 *   a fresh 0700 directory, chmod'ed, then hard-linked into place (the process umask is never
 *   touched). The default directory is per-user (see `defaultSocketDir`); a directory owned by
 *   another user or writable by others is refused. A stale socket of this user is replaced; a live
 *   one, another user's, or a path that is not a socket is an error and never removed.
 * - Bounded: `maxConnections` clients (one more is told `EBUSY`), idle clients dropped after
 *   `idleTimeoutMs`, one watch per connection, name filters are substrings (never a RegExp from the
 *   socket), a watcher that does not read is dropped past `maxClientBufferedBytes`, and past
 *   `maxBufferedBytes` unread in all the client with the largest backlog is dropped.
 * - A malformed, unknown or oversized request gets an error response; it never crashes the server or
 *   disturbs other clients.
 * - The endpoint never keeps the process alive (server and connections are unref'd); its socket file
 *   is removed on close, on exit, and on death by SIGTERM/SIGINT.
 *
 * @example
 * ```ts
 * const server = await OperationRegistry.default.listen();
 * console.log(`cancelable ps --socket ${server.path}`);
 * ```
 */
export async function serveRegistry(registry: ControlRegistry, options?: ControlServerOptions): Promise<ControlServer> {
  checkRegistry(registry);
  checkOptions('options', options);
  const explicit = checkOptionalString('options.path', options?.path);
  if (explicit === '') throw new RangeError('options.path must not be empty');
  const path = explicit ?? defaultSocketPath();
  checkSocketPath('options.path', path);
  const limit = (key: 'maxLineBytes' | 'maxConnections' | 'idleTimeoutMs' | 'maxBufferedBytes' | 'maxClientBufferedBytes', min: number): number =>
    options?.[key] === undefined ? CONTROL_SERVER_DEFAULTS[key] : checkInteger(`options.${key}`, options[key], min);
  const maxLineBytes = limit('maxLineBytes', 1);
  const maxConnections = limit('maxConnections', 1);
  const idleTimeoutMs = limit('idleTimeoutMs', 1);
  const maxBufferedBytes = limit('maxBufferedBytes', 1);
  const maxClientBufferedBytes = limit('maxClientBufferedBytes', 1);
  if (!isWindows) {
    if (explicit === undefined) {
      const dir = defaultSocketDir();
      preparePrivateDir(dir, isPerUserTempDir(dir));
    } else checkSocketParent(path);
  }

  const clients = new Set<Client>();
  const server = createServer((socket) => accept(socket));
  const listeningSince = Date.now();

  function accept(socket: Socket): void {
    socket.unref();
    socket.on('error', noop); // ECONNRESET and friends: 'close' cleans up
    if (clients.size >= maxConnections) {
      socket.end(encodeLine({ id: null, ok: false, error: { code: 'EBUSY', message: `too many clients (the limit is ${maxConnections}); try again later` } }));
      socket.destroySoon();
      return;
    }
    const client: Client = { socket, watch: undefined };
    clients.add(client);
    const splitter = new LineSplitter(
      maxLineBytes,
      (line) => handleLine(client, line),
      () => sendError(client, null, 'ETOOLONG', `request line longer than ${maxLineBytes} bytes; discarded`),
    );
    socket.on('data', (chunk: Buffer) => {
      // The answers to one chunk of requests go out together (one write, not one per line).
      socket.cork();
      try {
        splitter.push(chunk);
      } finally {
        socket.uncork();
      }
    });
    // Idle: nothing read or written for idleTimeoutMs. A watcher waits for events by design. A
    // listener of its own, not setTimeout's callback (a once-listener: a client that watched past one
    // idle period and then unwatched would never be idle again).
    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => {
      if (client.watch !== undefined) return;
      sendError(client, null, 'EIDLE', `idle for ${idleTimeoutMs} ms; disconnected`);
      socket.destroySoon();
    });
    socket.on('close', () => {
      clients.delete(client);
      client.watch?.unsubscribe();
      client.watch = undefined;
    });
  }

  function handleLine(client: Client, line: string): void {
    if (line.trim() === '') return;
    let id: ControlRequestId = null;
    try {
      let request: unknown;
      try {
        request = JSON.parse(line);
      } catch (error) {
        throw new RequestError('EPARSE', `request is not valid JSON: ${(error as Error).message}`);
      }
      if (typeof request !== 'object' || request === null || Array.isArray(request)) {
        throw new RequestError('EBADREQUEST', `request must be a JSON object, got ${describeValue(request)}`);
      }
      const fields = request as Record<string, unknown>;
      const rawId = fields.id;
      if (rawId !== undefined && rawId !== null && typeof rawId !== 'string' && typeof rawId !== 'number') {
        throw new RequestError('EBADREQUEST', `id must be a string, a number or null, got ${describeValue(rawId)}`);
      }
      id = rawId ?? null;
      const result = execute(client, id, fields);
      send(client, { id, ok: true, result: result === undefined ? null : result }, false);
    } catch (error) {
      if (error instanceof RequestError) sendError(client, id, error.code, error.message);
      // The registry validates its arguments with TypeError/RangeError: the request was bad.
      else if (error instanceof TypeError || error instanceof RangeError) sendError(client, id, 'EBADREQUEST', error.message);
      else sendError(client, id, 'EINTERNAL', error instanceof Error ? error.message : String(error));
    }
  }

  function execute(client: Client, id: ControlRequestId, request: Record<string, unknown>): unknown {
    const op = request.op;
    switch (op) {
      case 'list':
        return registry.list(readFilter(request.filter));
      case 'get':
        return registry.get(readString(request, 'operationId', true) as string)?.context ?? null;
      case 'cancel':
        return registry.cancel(readString(request, 'operationId', true) as string, readString(request, 'message', false));
      case 'cancelAll': {
        const filter = readFilter(request.filter);
        return registry.cancelAll(filter, readString(request, 'message', false));
      }
      case 'history':
        return registry.history(readHistoryOptions(request));
      case 'stats':
        return registry.stats();
      case 'info':
        return info();
      case 'watch': {
        if (client.watch !== undefined) {
          throw new RequestError('EBADREQUEST', `this connection already watches (watch id ${JSON.stringify(client.watch.id)}); one watch per connection`);
        }
        const unsubscribe = registry.subscribe((event) => {
          try {
            send(client, { id, event: { type: event.type, context: event.context } }, true);
          } catch {
            // A listener must never throw into the registry.
          }
        });
        client.watch = { id, unsubscribe };
        return { watching: true };
      }
      case 'unwatch': {
        const watchId = request.watchId;
        if (watchId !== null && typeof watchId !== 'string' && typeof watchId !== 'number') {
          throw new RequestError('EBADREQUEST', `watchId must be the id of a watch request, got ${describeValue(watchId)}`);
        }
        if (client.watch === undefined || client.watch.id !== watchId) return false;
        client.watch.unsubscribe();
        client.watch = undefined;
        return true;
      }
      default:
        throw new RequestError(
          typeof op === 'string' ? 'EUNKNOWNOP' : 'EBADREQUEST',
          typeof op === 'string'
            ? `unknown op ${JSON.stringify(op.length > 40 ? `${op.slice(0, 37)}...` : op)}; expected one of list, get, cancel, cancelAll, watch, unwatch, history, stats, info`
            : `op must be a string, got ${describeValue(op)}`,
        );
    }
  }

  function info(): ControlInfo {
    return {
      pid: process.pid,
      ppid: process.ppid,
      title: process.title,
      argv: process.argv.slice(),
      cwd: process.cwd(),
      node: process.version,
      listeningSince,
    };
  }

  function sendError(client: Client, id: ControlRequestId, code: ControlErrorCode, message: string): void {
    send(client, { id, ok: false, error: { code, message } }, false);
  }

  /** Writes one line. `event`: unsolicited (a watch event), so a backlog drops the client. */
  function send(client: Client, value: unknown, event: boolean): void {
    const socket = client.socket;
    if (socket.destroyed || !socket.writable) return;
    let line: string;
    try {
      line = encodeSafely(value);
    } catch (error) {
      const id = (value as { id?: ControlRequestId }).id ?? null;
      line = encodeSafely({
        id,
        ok: false,
        error: { code: 'EINTERNAL', message: `the result could not be encoded as JSON: ${(error as Error).message}` },
      });
    }
    const flushed = socket.write(line);
    if (event && socket.writableLength > maxClientBufferedBytes) {
      socket.destroy(); // a watcher that does not read
      return;
    }
    // A client that asks without reading gets no more answers until it reads (requests wait in the kernel).
    if (!flushed && !event && !socket.isPaused()) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
    enforceTotal();
  }

  /** Past maxBufferedBytes unread in all, drops the client with the largest backlog. */
  function enforceTotal(): void {
    let total = 0;
    let largest: Client | undefined;
    for (const client of clients) {
      const pending = client.socket.writableLength;
      total += pending;
      if (largest === undefined || pending > largest.socket.writableLength) largest = client;
    }
    if (total > maxBufferedBytes && largest !== undefined) largest.socket.destroy();
  }

  await listen(server, path);
  server.unref();
  if (!isWindows) ownSocketFile(path);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      for (const client of clients) {
        client.watch?.unsubscribe();
        client.watch = undefined;
        client.socket.destroy();
      }
      server.close(() => {
        if (!isWindows) releaseSocketFile(path);
        resolve();
      });
    }));

  return {
    path,
    get connections() {
      return clients.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Binds `server` at `path`. Where there are Unix sockets, it binds inside a fresh 0700 directory next
 * to `path`, makes the socket 0600, then hard-links it to `path` (a link never replaces an existing
 * file): nobody else can reach the socket before it is owner-only, and a file already at `path` is
 * examined, never clobbered.
 */
async function listen(server: Server, path: string): Promise<void> {
  if (isWindows) {
    try {
      await bind(server, path);
    } catch (error) {
      throw explain(error, path);
    }
    return;
  }
  let staging: string;
  try {
    staging = mkdtempSync(join(dirname(path), '.c'));
  } catch (error) {
    throw explain(error, path);
  }
  const temporary = join(staging, 's');
  try {
    checkSocketPath('options.path (with the 10 bytes of its staging directory)', temporary);
    await bind(server, temporary);
    chmodSync(temporary, 0o600);
    await linkInPlace(temporary, path);
    await new Promise<void>((resolve) => setImmediate(resolve));
  } catch (error) {
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    throw error;
  } finally {
    // Only the name at `path` remains; libuv's unlink of the staging name on close finds it gone.
    try {
      unlinkSync(temporary);
    } catch {
      // not bound
    }
    try {
      rmdirSync(staging);
    } catch {
      // best effort
    }
  }
}

/** Links the bound socket to `path`; replaces only a stale socket of this user found there. */
async function linkInPlace(temporary: string, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      linkSync(temporary, path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw explain(error, path);
    }
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (!stat.isSocket()) {
      throw Object.assign(new Error(`${path} exists and is not a socket (it is a ${kindOf(stat)}); refusing to replace it`), {
        code: 'EEXIST',
        path,
      });
    }
    const uid = currentUid();
    if (uid !== undefined && stat.uid !== uid) {
      throw Object.assign(new Error(`${path} is a socket of another user (uid ${stat.uid}); refusing to replace it`), {
        code: 'EACCES',
        path,
      });
    }
    if ((await probe(path)) === 'live') {
      throw Object.assign(new Error(`${path} is in use: a control endpoint (of this or another process) is listening on it`), {
        code: 'EADDRINUSE',
        path,
      });
    }
    try {
      unlinkSync(path); // our own stale socket: its process is gone
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw explain(error, path);
    }
  }
}

function kindOf(stat: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean }): string {
  if (stat.isFile()) return 'regular file';
  if (stat.isDirectory()) return 'directory';
  if (stat.isSymbolicLink()) return 'symbolic link';
  if (stat.isFIFO()) return 'FIFO';
  return 'special file';
}

function bind(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(path);
  });
}

/** Whether something answers on `path`: 'live', or 'stale' (a socket nobody listens to). */
function probe(path: string): Promise<'live' | 'stale'> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('live'); // something holds it but does not answer: do not steal it
    }, PROBE_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve('stale');
      else reject(explain(error, path));
    });
  });
}

function explain(error: unknown, path: string): Error {
  if (error instanceof Error && (error as { path?: unknown }).path === path && !('syscall' in error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  // Node reports a bind in a missing directory as EACCES: look before blaming permissions.
  const why =
    code === 'ENOENT' || (!isWindows && !existsSync(dirname(path)))
      ? 'its directory does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : (error as Error).message;
  return Object.assign(new Error(`cannot listen on ${path}: ${why}`, { cause: error }), { code, path });
}

// ---------------------------------------------------------------------------- request fields

function readString(request: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = request[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || (required && value === '')) {
    throw new RequestError('EBADREQUEST', `${key} must be a ${required ? 'non-empty ' : ''}string, got ${describeValue(value)}`);
  }
  return value;
}

const statuses: ReadonlySet<string> = new Set(Object.values(OperationStatus));
const filterKeys: ReadonlySet<string> = new Set(['status', 'name', 'parentId']);

function readFilter(value: unknown): ControlFilter | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestError('EBADREQUEST', `filter must be an object, got ${describeValue(value)}`);
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!filterKeys.has(key)) throw new RequestError('EBADREQUEST', `unknown filter key ${JSON.stringify(key)}; expected status, name or parentId`);
  }
  const filter: ControlFilter = {};
  if (raw.status !== undefined) {
    const list: unknown[] = Array.isArray(raw.status) ? raw.status : [raw.status];
    for (const status of list) {
      if (typeof status !== 'string' || !statuses.has(status)) {
        throw new RequestError('EBADREQUEST', `filter.status must be one of ${[...statuses].join(', ')} (or an array of them), got ${describeValue(status)}`);
      }
    }
    filter.status = raw.status as OperationStatus | OperationStatus[];
  }
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string') throw new RequestError('EBADREQUEST', `filter.name must be a string, got ${describeValue(raw.name)}`);
    // A substring, always: a RegExp compiled from a client's bytes could block the event loop.
    if (raw.name === '') throw new RequestError('EBADREQUEST', 'filter.name must not be empty (omit it to select every operation)');
    filter.name = raw.name;
  }
  if (raw.parentId !== undefined) {
    if (raw.parentId !== null && typeof raw.parentId !== 'string') {
      throw new RequestError('EBADREQUEST', `filter.parentId must be a string or null, got ${describeValue(raw.parentId)}`);
    }
    filter.parentId = raw.parentId;
  }
  return filter;
}

function readHistoryOptions(request: Record<string, unknown>): { limit?: number; status?: OperationStatus; since?: number } {
  const options: { limit?: number; status?: OperationStatus; since?: number } = {};
  const { limit, status, since } = request;
  if (limit !== undefined) {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
      throw new RequestError('EBADREQUEST', `limit must be an integer >= 0, got ${describeValue(limit)}`);
    }
    options.limit = limit;
  }
  if (status !== undefined) {
    if (typeof status !== 'string' || !statuses.has(status)) {
      throw new RequestError('EBADREQUEST', `status must be one of ${[...statuses].join(', ')}, got ${describeValue(status)}`);
    }
    options.status = status as OperationStatus;
  }
  if (since !== undefined) {
    if (typeof since !== 'number' || !Number.isFinite(since)) {
      throw new RequestError('EBADREQUEST', `since must be epoch milliseconds, got ${describeValue(since)}`);
    }
    options.since = since;
  }
  return options;
}

function checkRegistry(registry: unknown): void {
  const methods = ['list', 'get', 'cancel', 'cancelAll', 'history', 'stats', 'subscribe'] as const;
  if (typeof registry !== 'object' || registry === null) {
    throw new TypeError(`registry must be an OperationRegistry, got ${describeValue(registry)}`);
  }
  for (const method of methods) {
    if (typeof (registry as Record<string, unknown>)[method] !== 'function') {
      throw new TypeError(`registry must be an OperationRegistry (missing ${method}()), got ${describeValue(registry)}`);
    }
  }
}

/** JSON with BigInts as strings; on a cycle, repeated references become `'[Circular]'`. */
function encodeSafely(value: unknown): string {
  try {
    return encodeLine(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
  const seen = new WeakSet<object>();
  return `${JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  })}\n`;
}

function noop(): void {}
