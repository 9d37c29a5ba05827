import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './api.js';
import { readNodeBody } from './body.js';
import { errorAnswer, localPath, slashRedirect, type DashboardCore } from './core.js';
import { renderPage } from './page/html.js';
import { route } from './router.js';
import { BASE_HEADERS, checkActionRequest, newNonce, pagePolicy } from './security.js';

/** A connect-style `next` (Express, Connect, your own router). */
export type NextFunction = (error?: unknown) => void;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    ...extra,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

function sendError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const { status, code, message } = errorAnswer(error);
  // An unread body (too large, slow, or refused before reading) is never drained: Node would read
  // all of it to reach the next request. Close the connection after answering instead.
  const length = req.headers['content-length'];
  const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
  const close = status === 413 || status === 408 || (hasBody && !req.readableEnded);
  sendJson(req, res, status, { error: { code, message } }, close ? { connection: 'close' } : undefined);
  if (close) res.once('finish', () => req.socket.destroy());
}

function notMine(res: ServerResponse, next: NextFunction | undefined): void {
  if (next !== undefined) {
    next();
    return;
  }
  const text = 'Not Found';
  res.writeHead(404, { ...BASE_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(text.length) });
  res.end(text);
}

/** Serves one request on node:http (or any framework handing over Node's req/res). */
export async function serveNode(core: DashboardCore, req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined): Promise<void> {
  const target = req.url ?? '/';
  const local = localPath(target, core.options.basePath);
  if (local === undefined) return notMine(res, next);
  const method = req.method ?? 'GET';
  const matched = route(method, local.path);
  if (matched === undefined) return notMine(res, next);
  if ('status' in matched) {
    sendJson(req, res, matched.status, { error: { code: matched.code, message: matched.message } }, matched.allow ? { allow: matched.allow } : undefined);
    return;
  }
  if (matched.name === 'page') {
    const original = ((req as { originalUrl?: unknown }).originalUrl as string | undefined) ?? target;
    const redirect = slashRedirect(original.split('?')[0] ?? '', local.query);
    if (redirect !== undefined) {
      res.writeHead(302, { ...BASE_HEADERS, location: redirect, 'content-length': '0' });
      res.end();
      return;
    }
    const nonce = newNonce();
    const html = renderPage(nonce, core.page);
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': pagePolicy(nonce),
      'content-length': String(Buffer.byteLength(html)),
    });
    res.end(method === 'HEAD' ? undefined : html);
    return;
  }
  try {
    await core.store.start();
    if (matched.name === 'events') return serveEvents(core, req, res);
    const query = new URLSearchParams(local.query);
    if (method === 'POST') {
      const refusal = checkActionRequest((name) => header(req, name), core.options.allowedOrigins);
      if (refusal !== undefined) {
        sendError(req, res, new HttpError(refusal.status, refusal.code, refusal.message));
        return;
      }
    }
    const result = await core.api.handle(matched, {
      query,
      original: req,
      body: () => readNodeBody(req, core.options.maxBodyBytes),
    });
    sendJson(req, res, result.status, result.body);
  } catch (error) {
    sendError(req, res, error);
  }
}

function serveEvents(core: DashboardCore, req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...BASE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' });
    res.end();
    return;
  }
  if (core.hub.full) {
    sendJson(req, res, 503, { error: { code: 'EFULL', message: 'too many pages are watching; try again later' } }, { 'retry-after': '10' });
    return;
  }
  res.writeHead(200, {
    ...BASE_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  res.socket?.setNoDelay(true);
  const remove = core.hub.add({
    write: (chunk) => void res.write(chunk),
    buffered: () => res.writableLength,
    close: () => res.destroy(),
  });
  if (remove === undefined) res.destroy();
  else res.once('close', remove);
}
