import { lstatSync, type Stats } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { OperationContext } from '../core/context.js';
import type { OperationStatus } from '../core/reasons.js';
import { checkDuration, checkInteger, checkOptions, checkOptionalString, describeValue } from '../core/validate.js';
import {
  encodeLine,
  LineSplitter,
  type ControlEvent,
  type ControlInfo,
  type ControlOp,
} from './protocol.js';
import { currentUid } from './socket-dir.js';
import { defaultSocketPath } from './socket-path.js';

/** Options of {@link ControlClient.connect}: where to connect (`path`, else `pid`'s default socket). */
export interface ControlClientOptions {
  /** The socket path. */
  path?: string;
  /** A process listening at its default socket path (see `defaultSocketPath`). */
  pid?: number;
  /** How long to wait for the connection. Default 2000 ms. */
  timeoutMs?: number;
  /** How long to wait for the answer to each request (`0`: no limit). Default 10,000 ms. */
  requestTimeoutMs?: number;
  /** Longest response line read, in bytes; a longer one ends the connection (`ETOOLONG`). Default 64 MiB. */
  maxResponseBytes?: number;
  /**
   * Refuse a socket file that belongs to another user (`EPERM`), root included: its owner controls
   * what we are told and what our commands do. Default: `true` when the socket was found by `pid`,
   * `false` for an explicit `path` (naming a path is trusting it).
   */
  requireOwner?: boolean;
}

/**
 * The filter of `list` and `cancelAll`. A string name is sent as a substring; a RegExp never leaves
 * this process (the server compiles no pattern): the client lists and tests the names itself.
 */
export interface ControlClientFilter {
  /** One status, or any of several. */
  status?: OperationStatus | readonly OperationStatus[];
  /** A case-insensitive substring of the name (non-empty), or a RegExp tested here. */
  name?: string | RegExp;
  /** The parent's id; `null` selects top-level operations. */
  parentId?: string | null;
}

/**
 * A failed request (`code` from the server: `EPARSE`, `EBADREQUEST`, `EUNKNOWNOP`, `ETOOLONG`,
 * `EINTERNAL`, `EBUSY`, `EIDLE`), or a connection problem (`ENOENT`: nothing there, `ECONNREFUSED`: a
 * stale socket, `ENOTSOCK`: a file that is not a socket, `ECLOSED`: the connection ended,
 * `ETIMEDOUT`: no connection or no answer in time, `ETOOLONG`: a response line over the cap,
 * `EPERM`: another user's socket).
 * @example
 * ```ts
 * try { await ControlClient.connect({ pid }); }
 * catch (e) { if (e instanceof ControlError && e.code === 'ENOENT') console.log('not listening'); }
 * ```
 */
export class ControlError extends Error {
  /** What went wrong. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
  override get name(): string {
    return 'ControlError';
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * A connection to a control endpoint (`registry.listen()`), the programmatic form of the `cancelable`
 * CLI.
 * @example
 * ```ts
 * const client = await ControlClient.connect({ pid: 4242 });
 * for (const op of await client.list({ status: 'running' })) console.log(op.name);
 * await client.cancel(id, 'Stopped by the operator');
 * client.close();
 * ```
 */
export class ControlClient {
  /** The socket path. */
  readonly path: string;
  /** Resolves when the connection has ended (either side). */
  readonly closed: Promise<void>;
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  readonly #watchers = new Map<number, (event: ControlEvent) => void>();
  readonly #requestTimeoutMs: number;
  #nextId = 1;
  #ended = false;

  private constructor(path: string, socket: Socket, requestTimeoutMs: number, maxResponseBytes: number) {
    this.path = path;
    this.#socket = socket;
    this.#requestTimeoutMs = requestTimeoutMs;
    const splitter = new LineSplitter(
      maxResponseBytes,
      (line) => this.#onLine(line),
      () => this.#fail(new ControlError('ETOOLONG', `a response line from ${path} exceeded ${maxResponseBytes} bytes; disconnected`)),
    );
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', noop); // reported through 'close'
    this.closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.#fail(new ControlError('ECLOSED', `the connection to ${path} was closed`));
        resolve();
      });
    });
  }

  /**
   * Connects to `options.path`, or to the default socket of `options.pid`. Rejects with a
   * {@link ControlError} that says what is there: nothing (`ENOENT`), a stale socket
   * (`ECONNREFUSED`), a file that is not a socket (`ENOTSOCK`), another user's socket (`EPERM`, see
   * `requireOwner`), or no answer (`ETIMEDOUT`).
   */
  static connect(options: ControlClientOptions): Promise<ControlClient> {
    checkOptions('options', options);
    const explicit = checkOptionalString('options.path', options?.path);
    if (explicit === '') throw new RangeError('options.path must not be empty');
    const pid = options?.pid === undefined ? undefined : checkInteger('options.pid', options.pid, 1);
    if (explicit === undefined && pid === undefined) throw new TypeError('options.path or options.pid is required');
    const timeoutMs = options.timeoutMs === undefined ? 2_000 : checkDuration('options.timeoutMs', options.timeoutMs);
    const requestTimeoutMs =
      options.requestTimeoutMs === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : checkDuration('options.requestTimeoutMs', options.requestTimeoutMs);
    const maxResponseBytes =
      options.maxResponseBytes === undefined ? DEFAULT_MAX_RESPONSE_BYTES : checkInteger('options.maxResponseBytes', options.maxResponseBytes, 1);
    if (options.requireOwner !== undefined && typeof options.requireOwner !== 'boolean') {
      throw new TypeError(`options.requireOwner must be a boolean, got ${describeValue(options.requireOwner)}`);
    }
    const requireOwner = options.requireOwner ?? explicit === undefined;
    const path = explicit ?? defaultSocketPath(pid);
    const refused = inspectSocketFile(path, requireOwner);
    if (refused !== undefined) return Promise.reject(refused);
    return new Promise<ControlClient>((resolve, reject) => {
      const socket = connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ControlError('ETIMEDOUT', `no answer from ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (error: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(connectError(path, pid, error));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new ControlClient(path, socket, requestTimeoutMs, maxResponseBytes));
      });
    });
  }

  /** Sends one request; resolves with its `result`, rejects with a {@link ControlError}. */
  request<T = unknown>(op: ControlOp, params?: Record<string, unknown>): Promise<T> {
    if (typeof op !== 'string') throw new TypeError(`op must be a string, got ${describeValue(op)}`);
    if (this.#ended) return Promise.reject(new ControlError('ECLOSED', `the connection to ${this.path} is closed`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      // A silent or foreign server must not hang the caller: no answer in time ends the connection.
      const timer =
        this.#requestTimeoutMs > 0
          ? setTimeout(() => {
              this.#fail(new ControlError('ETIMEDOUT', `no answer to '${op}' from ${this.path} within ${this.#requestTimeoutMs} ms; disconnected`));
            }, this.#requestTimeoutMs)
          : undefined;
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.write(encodeLine({ ...params, id, op }));
    });
  }

  /** Live operations, optionally filtered. */
  async list(filter?: ControlClientFilter): Promise<OperationContext[]> {
    const { wire, pattern } = splitFilter(filter);
    const listed = await this.request<OperationContext[]>('list', { filter: wire });
    return pattern === undefined ? listed : listed.filter((context) => typeof context?.name === 'string' && pattern.test(context.name));
  }

  /** One live operation, or `null`. */
  get(operationId: string): Promise<OperationContext | null> {
    checkId(operationId);
    return this.request('get', { operationId });
  }

  /** Cancels one live operation; resolves with whether it was found. */
  cancel(operationId: string, message?: string): Promise<boolean> {
    checkId(operationId);
    return this.request('cancel', { operationId, message });
  }

  /**
   * Cancels every live operation matching `filter`; resolves with the count. With a RegExp name, the
   * matching operations are listed and cancelled one by one (the count is of those still found).
   */
  async cancelAll(filter?: ControlClientFilter, message?: string): Promise<number> {
    const { wire, pattern } = splitFilter(filter);
    if (pattern === undefined) return this.request('cancelAll', { filter: wire, message });
    let count = 0;
    for (const context of await this.list(filter)) if (await this.cancel(context.id, message)) count++;
    return count;
  }

  /** Recently finished operations. */
  history(options?: { limit?: number; status?: OperationStatus; since?: number }): Promise<OperationContext[]> {
    return this.request('history', { ...options });
  }

  /** The registry's statistics. */
  stats(): Promise<Record<string, unknown>> {
    return this.request('stats');
  }

  /** Which process answers. */
  info(): Promise<ControlInfo> {
    return this.request('info');
  }

  /**
   * Calls `listener` with every registry event (start, progress, end) from now on; resolves, once the
   * server has acknowledged, with a function that stops watching.
   */
  async watch(listener: (event: ControlEvent) => void): Promise<() => Promise<void>> {
    if (typeof listener !== 'function') throw new TypeError(`listener must be a function, got ${describeValue(listener)}`);
    const id = this.#nextId;
    this.#watchers.set(id, listener);
    try {
      await this.request('watch');
    } catch (error) {
      this.#watchers.delete(id);
      throw error;
    }
    return async () => {
      if (!this.#watchers.delete(id) || this.#ended) return;
      await this.request('unwatch', { watchId: id });
    };
  }

  /** Stops reading from the socket (events wait; a server drops a watcher that falls too far behind). */
  pause(): void {
    this.#socket.pause();
  }

  /** Reads again after {@link ControlClient.pause}. */
  resume(): void {
    this.#socket.resume();
  }

  /** Closes the connection; pending requests reject with `ECLOSED`. */
  close(): void {
    this.#socket.end();
    this.#socket.destroy();
  }

  #onLine(line: string): void {
    let message: { id?: unknown; ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown }; event?: unknown };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return; // not ours to crash on
    }
    if (typeof message !== 'object' || message === null) return;
    const id = message.id;
    if (message.event !== undefined) {
      if (typeof id === 'number') this.#watchers.get(id)?.(message.event as ControlEvent);
      return;
    }
    if (id === null && message.ok === false) {
      // Unsolicited: the server is closing this connection (EBUSY, EIDLE) and says why.
      const code = typeof message.error?.code === 'string' ? message.error.code : 'EINTERNAL';
      const text = typeof message.error?.message === 'string' ? message.error.message : 'request failed';
      if (code === 'EBUSY' || code === 'EIDLE') this.#fail(new ControlError(code, `${this.path}: ${text}`));
      return;
    }
    const pending = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (pending === undefined) return;
    this.#pending.delete(id as number);
    clearTimeout(pending.timer);
    if (message.ok === true) pending.resolve(message.result);
    else {
      const code = typeof message.error?.code === 'string' ? message.error.code : 'EINTERNAL';
      const text = typeof message.error?.message === 'string' ? message.error.message : 'request failed';
      pending.reject(new ControlError(code, text));
    }
  }

  #fail(error: ControlError): void {
    this.#ended = true;
    this.#watchers.clear();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.#socket.destroy();
  }
}

function splitFilter(filter: ControlClientFilter | undefined): { wire: Record<string, unknown> | undefined; pattern: RegExp | undefined } {
  if (filter === undefined) return { wire: undefined, pattern: undefined };
  checkOptions('filter', filter);
  const { name, ...rest } = filter;
  if (name instanceof RegExp) {
    const pattern = name.global || name.sticky ? new RegExp(name.source, name.flags.replace(/[gy]/g, '')) : name;
    return { wire: rest, pattern };
  }
  if (name !== undefined && typeof name !== 'string') throw new TypeError(`filter.name must be a string or a RegExp, got ${describeValue(name)}`);
  if (name === '') throw new RangeError('filter.name must not be empty (omit it to select every operation)');
  return { wire: name === undefined ? rest : { ...rest, name }, pattern: undefined };
}

function checkId(operationId: unknown): void {
  if (typeof operationId !== 'string') throw new TypeError(`operationId must be a string, got ${describeValue(operationId)}`);
  if (operationId === '') throw new RangeError('operationId must not be empty');
}

function connectError(path: string, pid: number | undefined, error: NodeJS.ErrnoException): ControlError {
  const who = pid !== undefined ? `process ${pid}` : 'a process';
  switch (error.code) {
    case 'ENOENT':
      return new ControlError(
        'ENOENT',
        `nothing listens at ${path}: ${who} is not running or has not called registry.listen()`,
        { cause: error },
      );
    case 'ENOTSOCK':
      return new ControlError('ENOTSOCK', `${path} is not a socket`, { cause: error });
    case 'ECONNREFUSED':
      return new ControlError(
        'ECONNREFUSED',
        `stale socket at ${path}: the process that created it is gone (the next registry.listen() there replaces it)`,
        { cause: error },
      );
    case 'EACCES':
    case 'EPERM':
      return new ControlError('EACCES', `permission denied connecting to ${path}: the socket belongs to another user`, {
        cause: error,
      });
    default:
      return new ControlError(error.code ?? 'ECONNECT', `cannot connect to ${path}: ${error.message}`, { cause: error });
  }
}

/**
 * What is at `path` before connecting: a file that is not a socket is named as such (connecting to
 * it says ECONNREFUSED, which would read as "stale socket"), and with `requireOwner` a socket of
 * another user — root included — is refused: in a shared directory anyone could have put a socket
 * at a predictable path, and its owner would see our commands and forge the answers.
 */
function inspectSocketFile(path: string, requireOwner: boolean): ControlError | undefined {
  if (process.platform === 'win32') return undefined;
  let stat: Stats | undefined;
  try {
    stat = lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // e.g. a directory we cannot search: connect() says what is wrong
  }
  if (stat === undefined) return undefined;
  if (!stat.isSocket()) {
    const kind = stat.isFile() ? 'a regular file' : stat.isDirectory() ? 'a directory' : stat.isSymbolicLink() ? 'a symbolic link' : 'not a socket';
    return new ControlError('ENOTSOCK', `${path} is ${kind}, not a control socket`);
  }
  const uid = currentUid();
  if (requireOwner && uid !== undefined && stat.uid !== uid) {
    return new ControlError(
      'EPERM',
      `${path} belongs to another user (uid ${stat.uid}); refusing to talk to it (name it with --socket / options.path to trust it)`,
    );
  }
  return undefined;
}

function noop(): void {}
