import type { IncomingMessage } from 'node:http';
import { HttpError } from './api.js';

/** How long a client may take to send an action's body, in ms. */
export const BODY_TIMEOUT_MS = 10_000;

function parseJson(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'EBADBODY', 'the body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'EBADBODY', 'the body is not valid JSON');
  }
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, 'ETOOLARGE', `the body exceeds ${max} bytes`);
}

/**
 * Reads a Node request's JSON body, at most `max` bytes (a larger `Content-Length` is refused before
 * reading) within {@link BODY_TIMEOUT_MS}. A body a framework already parsed (`req.body` after the
 * stream ended: Express's `json()`, Koa's body parser) is used as is, within the same size cap.
 */
export function readNodeBody(req: IncomingMessage, max: number): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > max)) return Promise.reject(tooLarge(max));
  const parsed = (req as { body?: unknown }).body;
  if (req.readableEnded) {
    if (parsed === undefined) return Promise.reject(new HttpError(400, 'EBADBODY', 'the body was consumed before the dashboard could read it'));
    if (typeof parsed === 'string') return Promise.resolve().then(() => (parsed.length > max ? Promise.reject(tooLarge(max)) : parseJson(parsed)));
    let size = 0;
    try {
      size = JSON.stringify(parsed)?.length ?? 0;
    } catch {
      return Promise.reject(new HttpError(400, 'EBADBODY', 'the parsed body is not JSON'));
    }
    return size > max ? Promise.reject(tooLarge(max)) : Promise.resolve(parsed);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: HttpError | undefined): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error !== undefined) {
        reject(error);
        return;
      }
      try {
        resolve(parseJson(Buffer.concat(chunks).toString('utf8')));
      } catch (parseError) {
        reject(parseError);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) finish(tooLarge(max));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void => finish(new HttpError(400, 'EBADBODY', 'the request body failed'));
    const onClose = (): void => finish(new HttpError(400, 'EBADBODY', 'the request was aborted'));
    const timer = setTimeout(() => finish(new HttpError(408, 'ETIMEOUT', `the body did not arrive within ${BODY_TIMEOUT_MS} ms`)), BODY_TIMEOUT_MS);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/** Reads a web `Request`'s JSON body, at most `max` bytes. */
export async function readWebBody(request: Request, max: number): Promise<unknown> {
  const declared = request.headers.get('content-length');
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > max)) throw tooLarge(max);
  if (request.body === null) return parseJson('');
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const timer = setTimeout(() => void reader.cancel().catch(() => undefined), BODY_TIMEOUT_MS);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(max);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  return parseJson(Buffer.concat(chunks).toString('utf8'));
}
