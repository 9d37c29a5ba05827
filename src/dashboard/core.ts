import { DashboardApi, HttpError } from './api.js';
import type { ResolvedDashboardOptions } from './options.js';
import type { PageConfig } from './page/html.js';
import { SseHub } from './sse.js';
import { OperationStore } from './store.js';

/** Everything a transport (node:http, web fetch) needs: options, the store, the API and the streams. */
export interface DashboardCore {
  readonly options: ResolvedDashboardOptions;
  readonly store: OperationStore;
  readonly api: DashboardApi;
  readonly hub: SseHub;
  readonly page: PageConfig;
}

/** Builds the shared parts of a dashboard. */
export function createCore(options: ResolvedDashboardOptions): DashboardCore {
  const store = new OperationStore(options.source, {
    maxOperations: options.maxOperations,
    lingerMs: options.lingerMs,
    progressHistory: options.progressHistory,
    pollMs: options.pollMs,
    historyLimit: options.historyLimit,
  });
  const hub = new SseHub(store, {
    intervalMs: options.updateIntervalMs,
    maxUpdatesPerInterval: options.maxUpdatesPerInterval,
    softBufferBytes: Math.min(64 * 1024, Math.floor(options.maxBufferedBytes / 4)),
    maxBufferedBytes: options.maxBufferedBytes,
    maxLagMs: options.maxLagMs,
    maxClients: options.maxClients,
  });
  const api = new DashboardApi(store, { readOnly: options.readOnly, authorize: options.authorize, historyLimit: options.historyLimit });
  const page: PageConfig = {
    title: options.title,
    kind: options.source.kind,
    description: options.source.description,
    readOnly: options.readOnly,
  };
  return { options, store, api, hub, page };
}

/** The status, code and message answered for an error (a source failing is a 502, not a crash). */
export function errorAnswer(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message };
  const text = error instanceof Error ? error.message : String(error);
  return { status: 502, code: 'ESOURCE', message: `the operations source failed: ${text.slice(0, 300)}` };
}

/** Splits a request target into its path (with `basePath` removed) and query; undefined when outside it. */
export function localPath(target: string, basePath: string): { path: string; query: string } | undefined {
  const mark = target.indexOf('?');
  let path = mark === -1 ? target : target.slice(0, mark);
  const query = mark === -1 ? '' : target.slice(mark + 1);
  if (basePath !== '') {
    if (path === basePath) path = '';
    else if (path.startsWith(`${basePath}/`)) path = path.slice(basePath.length);
    else return undefined;
  }
  return { path: path === '' ? '/' : path, query };
}

/**
 * Where to redirect a request for the page whose URL lacks the trailing slash (`/ops` → `ops/`, a
 * relative reference, so the Host header is never trusted): the page's relative API calls need it.
 */
export function slashRedirect(originalPath: string, query: string): string | undefined {
  if (originalPath.endsWith('/') || originalPath.endsWith('/index.html')) return undefined;
  const last = originalPath.slice(originalPath.lastIndexOf('/') + 1);
  return `${encodeURI(decodeSafe(last))}/${query === '' ? '' : `?${query}`}`;
}

function decodeSafe(segment: string): string {
  try {
    return decodeURI(segment);
  } catch {
    return segment;
  }
}
