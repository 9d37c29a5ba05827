/** What a request path (relative to the mount point) and method ask for. */
export type Route =
  | { name: 'page' }
  | { name: 'list' | 'history' | 'stats' | 'events' }
  | { name: 'detail'; id: string }
  | { name: 'cancel' | 'cancelSubtree'; id: string }
  | { name: 'cancelFilter' };

/** A request the router refuses: unknown path (404), wrong method (405), malformed path (400). */
export interface RouteError {
  status: 400 | 404 | 405;
  code: string;
  message: string;
  allow?: string;
}

const READ = 'GET, HEAD';
const WRITE = 'POST';

/** Decodes one path segment; undefined when its percent-encoding is malformed. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Matches `path` (relative to the mount point, starting with `/`, without the query) and `method`.
 * Returns `undefined` for a path outside the dashboard's (so a middleware can pass it on).
 */
export function route(method: string, path: string): Route | RouteError | undefined {
  const read = method === 'GET' || method === 'HEAD';
  const write = method === 'POST';
  const check = (allowed: string, ok: boolean, match: Route): Route | RouteError =>
    ok ? match : { status: 405, code: 'EMETHOD', message: `${method} is not allowed here; use ${allowed}`, allow: allowed };
  if (path === '/' || path === '/index.html') return check(READ, read, { name: 'page' });
  if (path !== '/api' && !path.startsWith('/api/')) return undefined;
  const segments = path.split('/').slice(2); // ['', 'api', ...]
  const [first, second, third, ...rest] = segments;
  if (rest.length === 0) {
    if (second === undefined) {
      if (first === 'operations') return check(READ, read, { name: 'list' });
      if (first === 'history') return check(READ, read, { name: 'history' });
      if (first === 'stats') return check(READ, read, { name: 'stats' });
      if (first === 'events') return check(READ, read, { name: 'events' });
      if (first === 'cancel') return check(WRITE, write, { name: 'cancelFilter' });
    } else if (first === 'operations' && second !== '') {
      const id = decodeSegment(second);
      if (id === undefined) return { status: 400, code: 'EBADID', message: 'the operation id is not valid percent-encoding' };
      if (third === undefined) return check(READ, read, { name: 'detail', id });
      if (third === 'cancel') return check(WRITE, write, { name: 'cancel', id });
      if (third === 'cancel-subtree') return check(WRITE, write, { name: 'cancelSubtree', id });
    }
  }
  return { status: 404, code: 'ENOTFOUND', message: 'no such endpoint' };
}
