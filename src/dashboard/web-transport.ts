import { HttpError } from './api.js';
import { readWebBody } from './body.js';
import { errorAnswer, localPath, slashRedirect, type DashboardCore } from './core.js';
import { renderPage } from './page/html.js';
import { route } from './router.js';
import { BASE_HEADERS, checkActionRequest, newNonce, pagePolicy } from './security.js';

function json(request: Request, status: number, body: unknown, extra?: Record<string, string>): Response {
  return new Response(request.method === 'HEAD' ? null : JSON.stringify(body), {
    status,
    headers: { ...BASE_HEADERS, ...extra, 'content-type': 'application/json; charset=utf-8' },
  });
}

function failure(request: Request, error: unknown): Response {
  const { status, code, message } = errorAnswer(error);
  return json(request, status, { error: { code, message } });
}

/**
 * Serves one web `Request` (Hono, Bun, Deno, any fetch-style server). Paths outside the dashboard get
 * a 404: route only the dashboard's prefix here.
 */
export async function serveWeb(core: DashboardCore, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const local = localPath(url.pathname, core.options.basePath);
  const matched = local === undefined ? undefined : route(request.method, local.path);
  if (local === undefined || matched === undefined) {
    return new Response('Not Found', { status: 404, headers: { ...BASE_HEADERS, 'content-type': 'text/plain; charset=utf-8' } });
  }
  if ('status' in matched) {
    return json(request, matched.status, { error: { code: matched.code, message: matched.message } }, matched.allow ? { allow: matched.allow } : undefined);
  }
  const query = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  if (matched.name === 'page') {
    const redirect = slashRedirect(url.pathname, query);
    if (redirect !== undefined) return new Response(null, { status: 302, headers: { ...BASE_HEADERS, location: redirect } });
    const nonce = newNonce();
    return new Response(request.method === 'HEAD' ? null : renderPage(nonce, core.page), {
      status: 200,
      headers: { ...BASE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': pagePolicy(nonce) },
    });
  }
  try {
    await core.store.start();
    if (matched.name === 'events') return events(core, request);
    if (request.method === 'POST') {
      const refusal = checkActionRequest((name) => request.headers.get(name) ?? undefined, core.options.allowedOrigins);
      if (refusal !== undefined) throw new HttpError(refusal.status, refusal.code, refusal.message);
    }
    const result = await core.api.handle(matched, {
      query: new URLSearchParams(query),
      original: request,
      body: () => readWebBody(request, core.options.maxBodyBytes),
    });
    return json(request, result.status, result.body);
  } catch (error) {
    return failure(request, error);
  }
}

function events(core: DashboardCore, request: Request): Response {
  const headers = { ...BASE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' };
  if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
  if (core.hub.full) {
    return json(request, 503, { error: { code: 'EFULL', message: 'too many pages are watching; try again later' } }, { 'retry-after': '10' });
  }
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      cancel() {
        stop();
      },
    },
    // The queue is what the reader has not taken yet: the hub reads its size as the buffered bytes.
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
  let stopped = false;
  let remove: (() => void) | undefined = undefined;
  // The stream can end (its reader cancels, the request aborts) before or after the hub adds it.
  function stop(): void {
    stopped = true;
    remove?.();
  }
  const queued = (): number => (controller === undefined ? 0 : Math.max(0, 64 * 1024 - (controller.desiredSize ?? 0)));
  remove = core.hub.add({
    write(chunk) {
      try {
        controller?.enqueue(encoder.encode(chunk));
      } catch {
        stop();
      }
    },
    buffered: queued,
    close() {
      stop();
      try {
        controller?.error(new Error('event stream closed by the dashboard'));
      } catch {
        // already closed
      }
    },
  });
  request.signal?.addEventListener('abort', stop, { once: true });
  if (stopped) remove?.();
  return new Response(stream, { status: 200, headers });
}
