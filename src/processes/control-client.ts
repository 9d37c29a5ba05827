import { lstatSync } from 'node:fs';
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
} from './control-protocol.js';
import { defaultSocketPath } from './socket-path.js';

/** Options of {@link ControlClient.connect}: where to connect (`path`, else `pid`'s default socket). */
export interface ControlClientOptions {
  /** The socket path. */
  path?: string;
  /** A process listening at its default socket path (see `defaultSocketPath`). */
  pid?: number;
  /** How long to wait for the connection. Default 2000 ms. */
  timeoutMs?: number;
}

/** The filter of `list` and `cancelAll` (a RegExp name travels as `/source/flags`). */
export interface ControlClientFilter {
  /** One status, or any of several. */
  status?: OperationStatus | readonly OperationStatus[];
  /** A case-insensitive substring of the name, or a RegExp. */
  name?: string | RegExp;
  /** The parent's id; `null` selects top-level operations. */
  parentId?: string | null;
}

/**
 * A failed request (`code` from the server: `EPARSE`, `EBADREQUEST`, `EUNKNOWNOP`, `ETOOLONG`,
 * `EINTERNAL`), or a connection problem (`ENOENT`: nothing there, `ECONNREFUSED`: a stale socket,
 * `ECLOSED`: the connection ended, `ETIMEDOUT`, `EPERM`: another user's socket).
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
}

const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

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
  #nextId = 1;
  #ended = false;

  private constructor(path: string, socket: Socket) {
    this.path = path;
    this.#socket = socket;
    const splitter = new LineSplitter(
      MAX_RESPONSE_BYTES,
      (line) => this.#onLine(line),
      () => this.#fail(new ControlError('ETOOLONG', `a response from ${path} exceeded ${MAX_RESPONSE_BYTES} bytes`)),
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
   * (`ECONNREFUSED`), or no answer (`ETIMEDOUT`).
   */
  static connect(options: ControlClientOptions): Promise<ControlClient> {
    checkOptions('options', options);
    const explicit = checkOptionalString('options.path', options?.path);
    const pid = options?.pid === undefined ? undefined : checkInteger('options.pid', options.pid, 1);
    if (explicit === undefined && pid === undefined) throw new TypeError('options.path or options.pid is required');
    const timeoutMs = options.timeoutMs === undefined ? 2_000 : checkDuration('options.timeoutMs', options.timeoutMs);
    const path = explicit ?? defaultSocketPath(pid);
    const foreign = foreignOwner(path);
    if (foreign !== undefined) {
      return Promise.reject(
        new ControlError('EPERM', `${path} belongs to another user (uid ${foreign}); refusing to talk to it`),
      );
    }
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
        resolve(new ControlClient(path, socket));
      });
    });
  }

  /** Sends one request; resolves with its `result`, rejects with a {@link ControlError}. */
  request<T = unknown>(op: ControlOp, params?: Record<string, unknown>): Promise<T> {
    if (typeof op !== 'string') throw new TypeError(`op must be a string, got ${describeValue(op)}`);
    if (this.#ended) return Promise.reject(new ControlError('ECLOSED', `the connection to ${this.path} is closed`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve, reject });
      this.#socket.write(encodeLine({ ...params, id, op }));
    });
  }

  /** Live operations, optionally filtered. */
  list(filter?: ControlClientFilter): Promise<OperationContext[]> {
    return this.request('list', { filter: wireFilter(filter) });
  }

  /** One live operation, or `null`. */
  get(operationId: string): Promise<OperationContext | null> {
    return this.request('get', { operationId });
  }

  /** Cancels one live operation; resolves with whether it was found. */
  cancel(operationId: string, message?: string): Promise<boolean> {
    return this.request('cancel', { operationId, message });
  }

  /** Cancels every live operation matching `filter`; resolves with the count. */
  cancelAll(filter?: ControlClientFilter, message?: string): Promise<number> {
    return this.request('cancelAll', { filter: wireFilter(filter), message });
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
    const pending = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (pending === undefined) return;
    this.#pending.delete(id as number);
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
    for (const p of pending) p.reject(error);
    this.#socket.destroy();
  }
}

function wireFilter(filter: ControlClientFilter | undefined): Record<string, unknown> | undefined {
  if (filter === undefined) return undefined;
  checkOptions('filter', filter);
  const name = filter.name instanceof RegExp ? `/${filter.name.source}/${filter.name.flags}` : filter.name;
  return { ...filter, name };
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
 * The owner of a socket file when it is another (non-root) user: in a shared directory such as /tmp,
 * anyone could have put a socket at a predictable path, and we would hand it our commands.
 */
function foreignOwner(path: string): number | undefined {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return undefined;
  const uid = process.getuid();
  if (uid === 0) return undefined;
  const stat = lstatSync(path, { throwIfNoEntry: false });
  return stat !== undefined && stat.uid !== uid ? stat.uid : undefined;
}

function noop(): void {}
