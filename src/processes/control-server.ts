import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { OperationContext } from '../core/context.js';
import { OperationStatus } from '../core/reasons.js';
import { checkInteger, checkOptions, checkOptionalString, describeValue } from '../core/validate.js';
import {
  encodeLine,
  LineSplitter,
  MAX_LINE_BYTES,
  type ControlErrorCode,
  type ControlEvent,
  type ControlInfo,
  type ControlRequestId,
} from './control-protocol.js';
import { checkSocketPath, defaultSocketPath } from './socket-path.js';

/** The filter of `list` and `cancelAll`. */
export interface ControlFilter {
  /** One status, or any of several. */
  status?: OperationStatus | readonly OperationStatus[];
  /** A case-insensitive substring of the name, or a RegExp. */
  name?: string | RegExp;
  /** The parent's id; `null` selects top-level operations. */
  parentId?: string | null;
}

/**
 * What the control endpoint needs from a registry (`OperationRegistry` has it): exactly the
 * registry's query, cancel and subscribe methods.
 */
export interface ControlRegistry {
  list(filter?: ControlFilter): OperationContext[];
  get(id: string): { readonly context: OperationContext } | undefined;
  cancel(id: string, message?: string): boolean;
  cancelAll(filter?: ControlFilter, message?: string): number;
  history(options?: { limit?: number; status?: OperationStatus; since?: Date | number }): OperationContext[];
  stats(): object;
  subscribe(listener: (event: ControlEvent) => void): () => void;
}

/** Options of `registry.listen()`. */
export interface ControlServerOptions {
  /**
   * The socket path (a named pipe such as `\\.\pipe\name` on Windows). Default:
   * `defaultSocketPath()`, i.e. `cancelable-<pid>.sock` under `$CANCELABLE_SOCKET_DIR`,
   * `$XDG_RUNTIME_DIR` or the temp dir.
   */
  path?: string;
  /** Longest request line accepted, in bytes. Default 1 MiB. */
  maxLineBytes?: number;
}

/** A running control endpoint. */
export interface ControlServer {
  /** Where it listens. */
  readonly path: string;
  /** Connected clients. */
  readonly connections: number;
  /** Stops listening, disconnects every client and removes the socket file. Idempotent. */
  close(): Promise<void>;
  /** Same as {@link ControlServer.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

// A watcher that does not read its socket is dropped past this much unsent data (others are unaffected).
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
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
  watches: Map<ControlRequestId, () => void>;
}

/**
 * Serves `registry` on a Unix domain socket (a named pipe on Windows) speaking line-delimited JSON
 * (see `control-protocol.ts`): ops `list`, `get`, `cancel`, `cancelAll`, `watch`, `unwatch`,
 * `history`, `stats` and `info`. The implementation of `registry.listen()`.
 *
 * - The socket is created owner-only (`0600`); a stale socket file left by a dead process is
 *   replaced; a live one is an `EADDRINUSE` error; a path that is not a socket is never removed.
 * - The endpoint never keeps the process alive (server and connections are unref'd) and its socket
 *   file is removed when the process exits.
 * - A malformed, unknown or oversized request gets an error response; it never crashes the server or
 *   disturbs other clients. A watcher that stops reading is disconnected past 8 MiB of backlog.
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
  const path = checkOptionalString('options.path', options?.path) ?? defaultSocketPath();
  if (path === '') throw new RangeError('options.path must not be empty');
  checkSocketPath('options.path', path);
  const maxLineBytes =
    options?.maxLineBytes === undefined ? MAX_LINE_BYTES : checkInteger('options.maxLineBytes', options.maxLineBytes, 1);

  const clients = new Set<Client>();
  const server = createServer((socket) => accept(socket));
  const listeningSince = Date.now();

  function accept(socket: Socket): void {
    socket.unref();
    const client: Client = { socket, watches: new Map() };
    clients.add(client);
    const splitter = new LineSplitter(
      maxLineBytes,
      (line) => handleLine(client, line),
      () => sendError(client, null, 'ETOOLONG', `request line longer than ${maxLineBytes} bytes; discarded`),
    );
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', noop); // ECONNRESET and friends: the 'close' below cleans up
    socket.on('close', () => {
      clients.delete(client);
      for (const unsubscribe of client.watches.values()) unsubscribe();
      client.watches.clear();
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
      send(client, { id, ok: true, result: result === undefined ? null : result });
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
        if (client.watches.has(id)) throw new RequestError('EBADREQUEST', `a watch with id ${JSON.stringify(id)} is already active`);
        const unsubscribe = registry.subscribe((event) => {
          try {
            send(client, { id, event: { type: event.type, context: event.context } });
          } catch {
            // A listener must never throw into the registry.
          }
        });
        client.watches.set(id, unsubscribe);
        return { watching: true };
      }
      case 'unwatch': {
        const watchId = request.watchId;
        if (watchId !== null && typeof watchId !== 'string' && typeof watchId !== 'number') {
          throw new RequestError('EBADREQUEST', `watchId must be the id of a watch request, got ${describeValue(watchId)}`);
        }
        const unsubscribe = client.watches.get(watchId);
        if (unsubscribe === undefined) return false;
        client.watches.delete(watchId);
        unsubscribe();
        return true;
      }
      default:
        throw new RequestError(
          typeof op === 'string' ? 'EUNKNOWNOP' : 'EBADREQUEST',
          typeof op === 'string'
            ? `unknown op ${JSON.stringify(op)}; expected one of list, get, cancel, cancelAll, watch, unwatch, history, stats, info`
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
    send(client, { id, ok: false, error: { code, message } });
  }

  function send(client: Client, value: unknown): void {
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
    socket.write(line);
    if (socket.writableLength > MAX_PENDING_BYTES) socket.destroy();
  }

  await listen(server, path);
  try {
    if (!isWindows) chmodSync(path, 0o600);
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  server.unref();

  const onExit = (): void => removeSocketFile(path);
  process.on('exit', onExit);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      process.off('exit', onExit);
      for (const client of clients) {
        for (const unsubscribe of client.watches.values()) unsubscribe();
        client.watches.clear();
        client.socket.destroy();
      }
      server.close(() => {
        removeSocketFile(path);
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

/** Binds `server` to `path`, replacing a stale socket file from a dead process. */
async function listen(server: Server, path: string): Promise<void> {
  try {
    await bind(server, path);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || isWindows) throw explain(error, path);
  }
  const state = await probe(path);
  if (state === 'live') {
    throw Object.assign(new Error(`${path} is in use: a control endpoint (of this or another process) is listening on it`), {
      code: 'EADDRINUSE',
      path,
    });
  }
  if (state === 'stale') {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat !== undefined && !stat.isSocket()) {
      throw Object.assign(new Error(`${path} exists and is not a socket; refusing to replace it`), { code: 'EEXIST', path });
    }
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw explain(error, path);
    }
  }
  try {
    await bind(server, path);
  } catch (error) {
    throw explain(error, path);
  }
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
    // The bind happens synchronously inside listen(): create the file owner-only from the start
    // (process.umask is unavailable in worker threads; the chmod after listening covers them).
    let previous: number | undefined;
    if (!isWindows) {
      try {
        previous = process.umask(0o177);
      } catch {
        previous = undefined;
      }
    }
    try {
      server.listen(path);
    } finally {
      if (previous !== undefined) process.umask(previous);
    }
  });
}

/** Whether something answers on `path`: 'live', 'stale' (a socket nobody listens to) or 'absent'. */
function probe(path: string): Promise<'live' | 'stale' | 'absent'> {
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
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK') resolve('stale');
      else if (error.code === 'ENOENT') resolve('absent');
      else reject(explain(error, path));
    });
  });
}

function explain(error: unknown, path: string): Error {
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

function removeSocketFile(path: string): void {
  if (isWindows) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone (libuv removes it on close) or not ours to remove.
  }
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
    filter.name = parseNamePattern(raw.name);
  }
  if (raw.parentId !== undefined) {
    if (raw.parentId !== null && typeof raw.parentId !== 'string') {
      throw new RequestError('EBADREQUEST', `filter.parentId must be a string or null, got ${describeValue(raw.parentId)}`);
    }
    filter.parentId = raw.parentId;
  }
  return filter;
}

const REGEX_LITERAL = /^\/(.+)\/([a-z]*)$/s;

/**
 * A name filter as sent over the wire: `/source/flags` is a regular expression (`g` and `y` are
 * dropped: they make `test()` stateful), anything else is passed to the registry as a string.
 * @example
 * ```ts
 * parseNamePattern('/^job-\\d+$/i'); // /^job-\d+$/i
 * parseNamePattern('job-1');         // 'job-1'
 * ```
 */
export function parseNamePattern(pattern: string): string | RegExp {
  if (typeof pattern !== 'string') throw new TypeError(`pattern must be a string, got ${describeValue(pattern)}`);
  const match = REGEX_LITERAL.exec(pattern);
  if (match === null) return pattern;
  try {
    return new RegExp(match[1] as string, (match[2] as string).replace(/[gy]/g, ''));
  } catch (error) {
    throw new RequestError('EBADREQUEST', `filter.name is not a valid regular expression: ${(error as Error).message}`);
  }
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
