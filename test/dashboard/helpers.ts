/** HTTP helpers for the dashboard tests: raw requests (any header, any body) and an SSE reader. */
import http from 'node:http';
import { ACTION_HEADER } from '../../src/dashboard/index.js';

/** Parsed JSON, read loosely by the assertions. */
export type Json = ReturnType<typeof JSON.parse>;

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: Json;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body in chunks (no Content-Length). */
  chunked?: boolean;
}

/** One request with Node's http client: nothing added, nothing forbidden. */
export function request(base: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        const body = Buffer.from(options.body);
        for (let i = 0; i < body.length; i += 4096) req.write(body.subarray(i, i + 4096));
      } else req.write(options.body);
    }
    req.end();
  });
}

/** The headers the page sends with an action. */
export const actionHeaders = { 'content-type': 'application/json', [ACTION_HEADER]: '1' };

/** POSTs a JSON action as the page does. */
export function action(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return request(base, path, { method: 'POST', headers: { ...actionHeaders, ...headers }, body: JSON.stringify(body) });
}

export interface SseReader {
  /** Events received so far, parsed. */
  readonly events: { event: string; data: Json }[];
  /** Resolves when an event satisfies `test` (already received, or later). */
  waitFor(test: (event: { event: string; data: Json }) => boolean, timeoutMs?: number, what?: string): Promise<{ event: string; data: Json }>;
  close(): void;
}

/** Opens an event stream and parses it. */
export function openEvents(base: string, path = 'api/events'): Promise<SseReader> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`event stream answered ${res.statusCode}`));
        res.resume();
        return;
      }
      const events: { event: string; data: Json }[] = [];
      const waiters: { test: (e: { event: string; data: Json }) => boolean; resolve: (e: { event: string; data: Json }) => void }[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data === '') continue;
          const parsed = { event, data: JSON.parse(data) };
          events.push(parsed);
          for (const waiter of [...waiters]) {
            if (waiter.test(parsed)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(parsed);
            }
          }
        }
      });
      res.on('error', () => undefined);
      resolve({
        events,
        waitFor(test, timeoutMs = 5_000, what = 'a matching event') {
          const found = events.find(test);
          if (found) return Promise.resolve(found);
          return new Promise((resolveWait, rejectWait) => {
            const timer = setTimeout(() => rejectWait(new Error(`no ${what} within ${timeoutMs} ms; got ${events.length} events: ${JSON.stringify(events.slice(-3)).slice(0, 1500)}`)), timeoutMs);
            waiters.push({
              test,
              resolve: (e) => {
                clearTimeout(timer);
                resolveWait(e);
              },
            });
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/** Resolves when `predicate()` holds (polled), or rejects after `timeoutMs`. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
