/** Real servers and clients on 127.0.0.1 for the cancelable-ts/http tests. */
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface Started<S> {
  server: S;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A node:http server on an ephemeral loopback port; close() also drops its connections. */
export async function listen(handler: http.RequestListener): Promise<Started<http.Server>> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A cleartext node:http2 server (compatibility API). */
export async function listen2(handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void): Promise<Started<http2.Http2Server>> {
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}

/** Resolves after `ms` real milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve function outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request with node's http client (no agent: the connection closes with the response). */
export function get(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/**
 * Starts a request and destroys it (the socket closes) once `when` resolves; resolves when the
 * client side is closed.
 */
export function requestThenAbort(url: string, when: Promise<unknown>, options: { method?: string; headers?: Record<string, string>; body?: string; endBody?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false });
    req.on('error', () => {});
    req.on('close', () => resolve());
    if (options.body !== undefined) req.write(options.body);
    if (options.endBody !== false) req.end();
    else req.flushHeaders();
    void when.then(() => req.destroy());
  });
}
