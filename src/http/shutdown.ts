/**
 * `gracefulShutdown()`: stop accepting, drain, cancel what is left with reason `signal`, let shields
 * finish, destroy the remaining sockets (SPEC §10).
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2Server, Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { checkDurationOrInfinity, checkKnownKeys, describeValue, log } from '../core/index.js';
import { liveRequests, type RequestState } from './request-source.js';
import type { NodeRequest, NodeResponse } from './types.js';

/** A server `gracefulShutdown` manages: `node:http`, `node:https`, `node:http2` (secure or not). */
export type ShutdownServer = HttpServer | Http2Server | { on: HttpServer['on']; close: HttpServer['close'] };

/** Options of {@link gracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** The signals that start the shutdown; `[]` for none (call `shutdown()` yourself). Default `['SIGINT', 'SIGTERM']`. */
  signals?: readonly NodeJS.Signals[];
  /** How long in-flight requests may take to finish before they are cancelled, ms. Default 10,000. */
  drainMs?: number;
  /** After the cancellation, how long request scopes (their shields) may take to end, ms. Default 5,000. */
  graceMs?: number;
  /** Exit the process when done: 0 when everything drained, otherwise 128 + the signal's number (1 without a signal). Default false. */
  exit?: boolean;
}

/** How a shutdown went. */
export interface ShutdownResult {
  /** Whether every in-flight request finished within the drain (nothing had to be cancelled). */
  readonly drained: boolean;
  /** The signal that started it, if any. */
  readonly signal: NodeJS.Signals | undefined;
  /** Request scopes cancelled with reason `signal`. */
  readonly cancelled: number;
  /** Request scopes still running when the grace period ended. */
  readonly abandoned: number;
  /** Connections (or HTTP/2 sessions) destroyed at the end. */
  readonly destroyed: number;
  /** The exit code `exit: true` uses: 0 drained, else 128 + the signal number (1 without a signal). */
  readonly exitCode: number;
}

/** What {@link gracefulShutdown} returns. */
export interface ShutdownHandle {
  /** Starts the shutdown now (as the first signal would); a second call skips the phase in progress (as a second signal does). */
  shutdown(signal?: NodeJS.Signals): Promise<ShutdownResult>;
  /** Settles when a shutdown has completed. */
  readonly done: Promise<ShutdownResult>;
  /** `idle`, `draining`, `cancelling` (waiting for scopes after the cancellation), `closed`. */
  readonly state: 'idle' | 'draining' | 'cancelling' | 'closed';
  /** Removes the signal handlers and server listeners (a shutdown in progress goes on). */
  close(): void;
}

const optionKeys: ReadonlySet<string> = new Set(['signals', 'drainMs', 'graceMs', 'exit']);

interface Tracked {
  server: ShutdownServer;
  inFlight: Set<NodeResponse>;
  sockets: Set<Socket>;
  sessions: Set<Http2Session>;
  onRequest: (req: NodeRequest, res: NodeResponse) => void;
  onConnection: (socket: Socket) => void;
  onSession: (session: Http2Session) => void;
  saved: ((...args: unknown[]) => void)[] | undefined;
}

/**
 * Manages the graceful shutdown of one or more servers. On the first of `signals` (or a call to
 * `shutdown()`): stop accepting connections; let in-flight requests finish within `drainMs`, while
 * requests arriving on open connections get 503 with `Connection: close` (HTTP/2: a GOAWAY); then
 * cancel the request scopes still running (`requestScope`, `handleRequest` and the adapters) with a
 * `SignalCancelation`; give them `graceMs` to end (their shields finish); destroy the remaining
 * connections; resolve. With `exit: true` the process then exits 0 (drained) or 128 + the signal's
 * number. A second signal skips the drain (a third, the grace period). `close()` removes every handler
 * it installed.
 * @example
 * ```ts
 * const server = http.createServer((req, res) => handleRequest(req, res, handler)).listen(8080);
 * gracefulShutdown(server, { drainMs: 10_000, graceMs: 5_000, exit: true });
 * ```
 */
export function gracefulShutdown(servers: ShutdownServer | readonly ShutdownServer[], options?: GracefulShutdownOptions): ShutdownHandle {
  const list = checkServers(servers);
  checkKnownKeys('options', options, optionKeys);
  const signals = checkSignals(options?.signals);
  const drainMs = options?.drainMs === undefined ? 10_000 : checkDurationOrInfinity('options.drainMs', options.drainMs);
  const graceMs = options?.graceMs === undefined ? 5_000 : checkDurationOrInfinity('options.graceMs', options.graceMs);
  const exit = options?.exit ?? false;
  if (typeof exit !== 'boolean') throw new TypeError(`options.exit must be a boolean, got ${describeValue(exit)}`);

  let state: ShutdownHandle['state'] = 'idle';
  let skip: (() => void) | undefined;
  let started: Promise<ShutdownResult> | undefined;
  let resolveDone!: (result: ShutdownResult) => void;
  const done = new Promise<ShutdownResult>((resolve) => (resolveDone = resolve));
  let installed = true;

  const tracked = list.map((server) => track(server, () => state !== 'idle'));
  const onSignal = (signal: NodeJS.Signals): void => {
    void shutdown(signal);
  };
  for (const signal of signals) process.on(signal, onSignal);

  function uninstall(): void {
    if (!installed) return;
    installed = false;
    for (const signal of signals) process.removeListener(signal, onSignal);
    for (const entry of tracked) untrack(entry);
  }

  function shutdown(signal?: NodeJS.Signals): Promise<ShutdownResult> {
    if (started !== undefined) {
      skip?.(); // a second signal: skip the phase in progress
      return started;
    }
    started = run(signal);
    return started;
  }

  async function run(signal: NodeJS.Signals | undefined): Promise<ShutdownResult> {
    state = 'draining';
    log(undefined, 'info', `cancelable-ts/http: shutting down${signal === undefined ? '' : ` on ${signal}`}`, { signal });
    for (const entry of tracked) beginDrain(entry);
    const drained = await phase(drainMs, (wake) => {
      const check = (): void => {
        if (tracked.every((entry) => entry.inFlight.size === 0)) wake();
      };
      const waiters = tracked.map((entry) => watchInFlight(entry, check));
      check();
      return () => {
        for (const off of waiters) off();
      };
    });
    state = 'cancelling';
    const targets = [...liveRequests].filter((request) => tracked.some((entry) => entry.server === serverOf(request)));
    let cancelled = 0;
    for (const request of targets) if (request.source.fire('shutdown', signal)) cancelled++;
    // The grace period: cancelled scopes end (their shields finish) and their responses (the 503s
    // written by handleRequest and the adapters) go out before the sockets are destroyed.
    await phase(graceMs, (wake) => {
      let left = targets.filter((request) => request.live).length;
      let offs: (() => void)[] = [];
      const check = (): void => {
        if (left > 0) return;
        if (tracked.every((entry) => entry.inFlight.size === 0)) {
          wake();
          return;
        }
        for (const off of offs) off();
        offs = tracked.map((entry) => watchInFlight(entry, check));
      };
      const ended = (): void => {
        left--;
        setImmediate(check); // after the run settles: its handler writes the answer first
      };
      for (const request of targets) if (request.live) (request.ended ??= []).push(ended);
      check();
      return () => {
        for (const off of offs) off();
        left = -1;
      };
    });
    const abandoned = targets.filter((request) => request.live).length;
    let destroyed = 0;
    for (const entry of tracked) destroyed += destroyRemaining(entry);
    await Promise.all(tracked.map((entry) => closed(entry.server)));
    uninstall();
    for (const entry of tracked) restore(entry);
    state = 'closed';
    const everythingDrained = drained && cancelled === 0;
    const exitCode = everythingDrained ? 0 : signal === undefined ? 1 : 128 + (constants.signals[signal] ?? 0);
    const result: ShutdownResult = { drained: everythingDrained, signal, cancelled, abandoned, destroyed, exitCode };
    resolveDone(result);
    if (exit) process.exit(exitCode);
    return result;
  }

  /** Waits until `arm`'s wake is called (true) or `ms` passes or a signal skips it (false). */
  function phase(ms: number, arm: (wake: () => void) => (() => void) | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const armed: { disarm?: (() => void) | undefined } = {};
      let settled = false;
      const finish = (value: boolean): void => {
        if (settled) return;
        settled = true;
        skip = undefined;
        if (timer !== undefined) clearTimeout(timer);
        armed.disarm?.();
        resolve(value);
      };
      skip = () => finish(false);
      const disarm = arm(() => finish(true));
      if (settled) {
        disarm?.();
        return;
      }
      armed.disarm = disarm;
      if (ms !== Infinity) timer = setTimeout(finish, ms, false);
    });
  }

  return {
    shutdown,
    done,
    get state() {
      return state;
    },
    close: uninstall,
  };
}

function track(server: ShutdownServer, shuttingDown: () => boolean): Tracked {
  const entry: Tracked = {
    server,
    inFlight: new Set(),
    sockets: new Set(),
    sessions: new Set(),
    onRequest: (_req, res) => {
      if (shuttingDown()) return; // answered by the 503 listener
      entry.inFlight.add(res);
      res.once('close', () => entry.inFlight.delete(res));
    },
    onConnection: (socket) => {
      entry.sockets.add(socket);
      socket.once('close', () => entry.sockets.delete(socket));
    },
    onSession: (session) => {
      entry.sessions.add(session);
      session.once('close', () => entry.sessions.delete(session));
    },
    saved: undefined,
  };
  const emitter = server as HttpServer;
  emitter.prependListener('request', entry.onRequest as never);
  emitter.on('connection', entry.onConnection);
  emitter.on('session' as never, entry.onSession as never);
  return entry;
}

function untrack(entry: Tracked): void {
  const emitter = entry.server as HttpServer;
  emitter.removeListener('request', entry.onRequest as never);
  emitter.removeListener('connection', entry.onConnection);
  emitter.removeListener('session', entry.onSession as never);
}

/** Stops accepting; from now on every new request is answered 503 with `Connection: close`. */
function beginDrain(entry: Tracked): void {
  const emitter = entry.server as HttpServer;
  entry.saved = emitter.listeners('request') as ((...args: unknown[]) => void)[];
  emitter.removeAllListeners('request');
  emitter.on('request', refuse);
  emitter.close(() => {});
  for (const session of entry.sessions) session.close(); // GOAWAY: open streams finish, new ones go elsewhere
  // Connections that become idle while draining are closed: a client does not send a new request on them.
  for (const res of entry.inFlight) {
    res.once('finish', () => setImmediate(closeIdle, emitter));
  }
}

function closeIdle(server: HttpServer): void {
  (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
}

function refuse(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  const http2 = (res as { stream?: unknown }).stream !== undefined;
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (!http2) {
    headers.connection = 'close';
    (res as ServerResponse).shouldKeepAlive = false;
  }
  req.resume();
  (res as ServerResponse).writeHead(503, headers).end('Server shutting down\n');
}

function watchInFlight(entry: Tracked, check: () => void): () => void {
  const listeners: [NodeResponse, () => void][] = [];
  for (const res of entry.inFlight) {
    const onClose = (): void => {
      setImmediate(check); // after the tracker's own 'close' listener
    };
    res.once('close', onClose);
    listeners.push([res, onClose]);
  }
  return () => {
    for (const [res, onClose] of listeners) res.removeListener('close', onClose);
  };
}

function destroyRemaining(entry: Tracked): number {
  let count = 0;
  for (const session of entry.sessions) {
    session.destroy();
    count++;
  }
  for (const socket of entry.sockets) {
    if (socket.destroyed) continue;
    socket.destroy();
    count++;
  }
  (entry.server as { closeAllConnections?: () => void }).closeAllConnections?.();
  return count;
}

function closed(server: ShutdownServer): Promise<void> {
  const emitter = server as HttpServer;
  if (!emitter.listening) return Promise.resolve();
  return new Promise((resolve) => emitter.once('close', () => resolve()));
}

function restore(entry: Tracked): void {
  const emitter = entry.server as HttpServer;
  if (entry.saved === undefined) return;
  emitter.removeListener('request', refuse);
  for (const listener of entry.saved) if (listener !== entry.onRequest) emitter.on('request', listener);
  entry.saved = undefined;
}

function serverOf(request: RequestState): unknown {
  const req = request.req as { socket?: { server?: unknown }; stream?: { session?: { server?: unknown } } } | undefined;
  if (req === undefined) return undefined;
  return req.stream?.session?.server ?? req.socket?.server;
}

function checkServers(servers: unknown): readonly ShutdownServer[] {
  const list = Array.isArray(servers) ? (servers as unknown[]) : [servers];
  if (list.length === 0) throw new TypeError('gracefulShutdown(servers) needs at least one server');
  list.forEach((server, index) => {
    const candidate = server as { on?: unknown; close?: unknown } | null;
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.on !== 'function' || typeof candidate.close !== 'function') {
      const name = Array.isArray(servers) ? `servers[${index}]` : 'servers';
      throw new TypeError(`${name} must be a node:http, https or http2 server, got ${describeValue(server)}`);
    }
  });
  return list as ShutdownServer[];
}

function checkSignals(signals: unknown): readonly NodeJS.Signals[] {
  if (signals === undefined) return ['SIGINT', 'SIGTERM'];
  if (!Array.isArray(signals)) throw new TypeError(`options.signals must be an array of signal names, got ${describeValue(signals)}`);
  return signals.map((signal, index) => {
    if (typeof signal !== 'string' || !(signal in constants.signals)) {
      throw new TypeError(`options.signals[${index}] must be a signal name such as 'SIGTERM', got ${describeValue(signal)}`);
    }
    return signal as NodeJS.Signals;
  });
}
