/**
 * Real clients for the adapter tests (node:http requests, one connection each unless an agent is
 * given) and a downstream server that holds every request open and records when its client left.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './apps.js';

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface RequestInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly agent?: http.Agent | false;
}

/** One request; resolves with the whole answer. */
export function request(origin: string, path: string, init: RequestInit = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${path}`, { method: init.method ?? 'GET', headers: init.headers, agent: init.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A request left open: `destroy()` disconnects the client; `answered` tells whether any byte came back. */
export interface OpenRequest {
  readonly req: http.ClientRequest;
  /** performance.now() of the disconnect. */
  disconnectedAt: number;
  answered: boolean;
  destroy(): void;
}

export function openRequest(origin: string, path: string, init: RequestInit & { partialBody?: Buffer; declaredLength?: number } = {}): OpenRequest {
  const headers: Record<string, string> = { ...init.headers };
  if (init.declaredLength !== undefined) headers['content-length'] = String(init.declaredLength);
  const req = http.request(`${origin}${path}`, { method: init.method ?? 'GET', headers, agent: false });
  const open: OpenRequest = {
    req,
    disconnectedAt: 0,
    answered: false,
    destroy() {
      open.disconnectedAt = performance.now();
      req.destroy();
    },
  };
  req.on('response', (res) => {
    open.answered = true;
    res.resume();
  });
  req.on('error', () => {
    // the disconnect is ours
  });
  if (init.partialBody !== undefined) {
    req.flushHeaders();
    req.write(init.partialBody);
  } else {
    req.end(init.body);
  }
  return open;
}

/** Polls `check` every 2 ms (real time) until it holds, or fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export interface Downstream {
  readonly origin: string;
  /** test id → performance.now() when its request arrived. */
  readonly arrived: Map<string, number>;
  /** test id → performance.now() when its client (the handler's fetch) went away. */
  readonly closed: Map<string, number>;
  /** test id → the headers it came with. */
  readonly headers: Map<string, http.IncomingHttpHeaders>;
  close(): Promise<void>;
}

/** A downstream service that never answers /hold: it records when the caller's socket closes. */
export async function startDownstream(): Promise<Downstream> {
  const arrived = new Map<string, number>();
  const closed = new Map<string, number>();
  const headers = new Map<string, http.IncomingHttpHeaders>();
  const server = http.createServer((req, res) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? 'none';
    headers.set(id, req.headers);
    arrived.set(id, performance.now());
    req.socket.once('close', () => closed.set(id, performance.now()));
    res.on('close', () => {
      if (!closed.has(id)) closed.set(id, performance.now());
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, arrived, closed, headers, close: () => closeServer(server) };
}

export interface StreamedReply {
  readonly status: number;
  readonly body: string;
  /** Whether the whole response arrived (a clean end), not a cut one. */
  readonly complete: boolean;
}

/** One request whose streamed answer may be cut: resolves when the response closes, however it ended. */
export function streamRequest(origin: string, path: string, init: RequestInit = {}): Promise<StreamedReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${path}`, { method: init.method ?? 'GET', headers: init.headers, agent: init.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => {
        // a cut response: 'close' tells
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), complete: res.complete }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
