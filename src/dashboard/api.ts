import type { Route } from './router.js';
import { isValidId, MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH, sanitizeOperation, toRow, type OperationRow } from './sanitize.js';
import type { OperationStore } from './store.js';
import type { DashboardAction, DashboardFilter, DashboardOperation, DashboardRequest } from './types.js';

/**
 * The message of a cancel sent without one.
 * @example
 * ```ts
 * scope.cancelError?.message === DEFAULT_CANCEL_MESSAGE; // cancelled from the dashboard, no message given
 * ```
 */
export const DEFAULT_CANCEL_MESSAGE = 'Cancelled from the dashboard';
const MAX_PAGE = 5_000;
const MAX_PARENT_CHAIN = 64;
const MAX_CHILDREN = 200;
const FILTER_STATUSES = new Set(['running', 'completed', 'cancelled', 'failed', 'ended']);

/** An error answered as JSON `{ error: { code, message } }` with `status`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A JSON answer. */
export interface ApiResult {
  status: number;
  body: unknown;
}

/** What the API needs from a request, whatever the transport. */
export interface ApiRequest {
  readonly query: URLSearchParams;
  readonly original: DashboardRequest;
  /** The parsed JSON body (the transport enforces the size cap). */
  body(): Promise<unknown>;
}

/** Settings of {@link DashboardApi}. */
export interface ApiSettings {
  readOnly: boolean;
  authorize: ((request: DashboardRequest, action: DashboardAction) => boolean | Promise<boolean>) | undefined;
  historyLimit: number;
}

function queryString(query: URLSearchParams, key: string, max: number): string | undefined {
  const values = query.getAll(key);
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new HttpError(400, 'EBADQUERY', `${key} is given ${values.length} times`);
  const value = values[0] as string;
  if (value.length > max) throw new HttpError(400, 'EBADQUERY', `${key} is longer than ${max} characters`);
  return value;
}

function queryInteger(query: URLSearchParams, key: string, fallback: number, max: number): number {
  const text = queryString(query, key, 10);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > max) throw new HttpError(400, 'EBADQUERY', `${key} must be an integer from 0 to ${max}`);
  return Number(text);
}

function checkQueryKeys(query: URLSearchParams, allowed: readonly string[]): void {
  for (const key of query.keys()) {
    if (!allowed.includes(key)) throw new HttpError(400, 'EBADQUERY', `unknown query parameter ${JSON.stringify(key.slice(0, 40))}`);
  }
}

/** Reads a filter from the query (list, history) or a JSON body (cancel by filter). */
function readFilter(get: (key: string) => unknown): DashboardFilter {
  const filter: DashboardFilter = {};
  for (const key of ['name', 'host'] as const) {
    const value = get(key);
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string' || value.length > MAX_NAME_LENGTH) {
      throw new HttpError(400, 'EBADFILTER', `filter.${key} must be a string of at most ${MAX_NAME_LENGTH} characters`);
    }
    filter[key] = value;
  }
  const status = get('status');
  if (status !== undefined && status !== '') {
    if (typeof status !== 'string' || !FILTER_STATUSES.has(status)) {
      throw new HttpError(400, 'EBADFILTER', `filter.status must be one of ${[...FILTER_STATUSES].join(', ')}`);
    }
    filter.status = status;
  }
  return filter;
}

/** Whether a row (or operation) passes a filter: case-insensitive substrings and an exact status. */
export function matchesFilter(row: { name: string; host?: string; status: string }, filter: DashboardFilter): boolean {
  if (filter.status !== undefined && row.status !== filter.status) return false;
  if (filter.name !== undefined && !row.name.toLowerCase().includes(filter.name.toLowerCase())) return false;
  if (filter.host !== undefined && !(row.host ?? '').toLowerCase().includes(filter.host.toLowerCase())) return false;
  return true;
}

function checkId(id: string): string {
  if (!isValidId(id)) throw new HttpError(400, 'EBADID', 'operation ids are 1 to 256 characters without control characters');
  return id;
}

/** Reads `{ message? }` (and `filter` for cancel by filter) from an action body. */
function readActionBody(body: unknown, keys: readonly string[]): { message: string; raw: Record<string, unknown> } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'EBADBODY', 'the body must be a JSON object');
  }
  const raw = body as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!keys.includes(key)) throw new HttpError(400, 'EBADBODY', `unknown field ${JSON.stringify(key.slice(0, 40))}; expected ${keys.join(', ')}`);
  }
  const message = raw.message;
  if (message !== undefined && (typeof message !== 'string' || message.length > MAX_MESSAGE_LENGTH)) {
    throw new HttpError(400, 'EBADBODY', `message must be a string of at most ${MAX_MESSAGE_LENGTH} characters`);
  }
  const trimmed = typeof message === 'string' ? message.trim() : '';
  return { message: trimmed === '' ? DEFAULT_CANCEL_MESSAGE : trimmed, raw };
}

/** The dashboard's JSON API over a store: reads, and the three actions behind readOnly/CSRF/authorize. */
export class DashboardApi {
  readonly #store: OperationStore;
  readonly #settings: ApiSettings;

  constructor(store: OperationStore, settings: ApiSettings) {
    this.#store = store;
    this.#settings = settings;
  }

  /** Answers a matched API route (the transport handles `page` and `events`). */
  async handle(match: Route, request: ApiRequest): Promise<ApiResult> {
    switch (match.name) {
      case 'list':
        return this.#list(request.query);
      case 'stats':
        checkQueryKeys(request.query, []);
        await this.#store.poll();
        return { status: 200, body: this.#summary() };
      case 'history':
        return this.#history(request.query);
      case 'detail':
        checkQueryKeys(request.query, []);
        return this.#detail(checkId(match.id));
      case 'cancel':
      case 'cancelSubtree':
      case 'cancelFilter':
        return this.#act(match, request);
      default:
        throw new HttpError(404, 'ENOTFOUND', 'no such endpoint');
    }
  }

  #summary(): Record<string, unknown> {
    const source = this.#store.source;
    return { source: { kind: source.kind, description: source.description }, readOnly: this.#settings.readOnly, stats: this.#store.stats() };
  }

  async #list(query: URLSearchParams): Promise<ApiResult> {
    checkQueryKeys(query, ['name', 'host', 'status', 'offset', 'limit']);
    const filter = readFilter((key) => queryString(query, key, MAX_NAME_LENGTH + 1));
    const offset = queryInteger(query, 'offset', 0, 1_000_000);
    const limit = queryInteger(query, 'limit', 1_000, MAX_PAGE);
    await this.#store.poll();
    const rows = this.#store.rows().filter((row) => matchesFilter(row, filter));
    return { status: 200, body: { ...this.#summary(), total: rows.length, offset, limit, rows: rows.slice(offset, offset + limit) } };
  }

  async #history(query: URLSearchParams): Promise<ApiResult> {
    checkQueryKeys(query, ['name', 'host', 'status', 'limit']);
    const filter = readFilter((key) => queryString(query, key, MAX_NAME_LENGTH + 1));
    const limit = queryInteger(query, 'limit', 200, this.#settings.historyLimit);
    const source = this.#store.source;
    await this.#store.poll();
    const raw = this.#store.watched && source.kind !== 'fleet' ? await source.history(this.#settings.historyLimit) : this.#store.seenEnded(this.#settings.historyLimit);
    const rows: OperationRow[] = [];
    for (let i = raw.length - 1; i >= 0 && rows.length < limit; i--) {
      const operation = sanitizeOperation(raw[i]);
      if (operation === undefined) continue;
      const row = toRow(operation);
      if (matchesFilter(row, filter)) rows.push(row);
    }
    return { status: 200, body: { rows } };
  }

  async #detail(id: string): Promise<ApiResult> {
    const store = this.#store;
    await store.poll();
    let operation: DashboardOperation | undefined;
    let status: string | undefined;
    if (store.isLive(id)) operation = sanitizeOperation(await store.source.get(id));
    if (operation === undefined && store.row(id) !== undefined) {
      operation = store.operation(id);
      status = store.row(id)?.status;
    }
    if (operation === undefined) {
      const history = store.watched && store.source.kind !== 'fleet' ? await store.source.history(this.#settings.historyLimit) : store.seenEnded(this.#settings.historyLimit);
      for (let i = history.length - 1; i >= 0 && operation === undefined; i--) {
        if ((history[i] as { id?: unknown }).id === id) operation = sanitizeOperation(history[i]);
      }
    }
    if (operation === undefined) throw new HttpError(404, 'ENOTFOUND', 'no operation with this id (it may have ended long ago)');
    const parents: { id: string; name: string; status: string }[] = [];
    const seen = new Set([id]);
    for (let parentId = operation.parentId; parentId !== null && parents.length < MAX_PARENT_CHAIN && !seen.has(parentId); ) {
      seen.add(parentId);
      const parent = store.row(parentId);
      if (parent === undefined) {
        parents.unshift({ id: parentId, name: '(not tracked)', status: 'unknown' });
        break;
      }
      parents.unshift({ id: parent.id, name: parent.name, status: parent.status });
      parentId = parent.parentId;
    }
    const children: { id: string; name: string; status: string }[] = [];
    for (const row of store.rows()) {
      if (row.parentId === id) children.push({ id: row.id, name: row.name, status: row.status });
      if (children.length >= MAX_CHILDREN) break;
    }
    return {
      status: 200,
      body: {
        operation: { ...operation, status: status ?? operation.status, requested: store.row(id)?.requested ?? null },
        parents,
        children,
        progress: store.timeline(id),
      },
    };
  }

  async #act(match: Route & { name: 'cancel' | 'cancelSubtree' | 'cancelFilter' }, request: ApiRequest): Promise<ApiResult> {
    if (this.#settings.readOnly) throw new HttpError(403, 'EREADONLY', 'this dashboard is read-only');
    const body = await request.body();
    let action: DashboardAction;
    if (match.name === 'cancelFilter') {
      const { message, raw } = readActionBody(body, ['filter', 'message']);
      const filterInput = raw.filter;
      if (filterInput === null || typeof filterInput !== 'object' || Array.isArray(filterInput)) {
        throw new HttpError(400, 'EBADFILTER', 'filter must be an object { name?, host?, status? }');
      }
      const given = filterInput as Record<string, unknown>;
      for (const key of Object.keys(given)) {
        if (!['name', 'host', 'status'].includes(key)) throw new HttpError(400, 'EBADFILTER', `unknown filter field ${JSON.stringify(key.slice(0, 40))}`);
      }
      const filter = readFilter((key) => given[key]);
      if (filter.name === undefined && filter.host === undefined) {
        throw new HttpError(400, 'EBADFILTER', 'cancel by filter needs a name or host substring (an empty filter would match everything)');
      }
      action = { type: 'cancelFilter', filter, message };
    } else {
      const id = checkId(match.id);
      const { message } = readActionBody(body, ['message']);
      action = { type: match.name, id, message };
    }
    await this.#authorize(request.original, action);
    return { status: 200, body: await this.#perform(action) };
  }

  async #authorize(request: DashboardRequest, action: DashboardAction): Promise<void> {
    const authorize = this.#settings.authorize;
    if (authorize === undefined) return;
    let allowed: unknown;
    try {
      allowed = await authorize(request, action);
    } catch {
      throw new HttpError(403, 'EFORBIDDEN', 'the authorization check failed');
    }
    if (allowed !== true) throw new HttpError(403, 'EFORBIDDEN', 'not authorized to do this');
  }

  async #perform(action: DashboardAction): Promise<Record<string, unknown>> {
    const store = this.#store;
    await store.poll(true); // act on what runs now, not on the last poll
    if (action.type === 'cancel') {
      const result = await store.source.cancel(action.id, action.message);
      if (!result.found) throw new HttpError(404, 'ENOTFOUND', 'no running operation with this id');
      store.noteCancelRequested(action.id, action.message);
      return { found: true, cancelled: result.cancelled };
    }
    const ids =
      action.type === 'cancelSubtree'
        ? store.isLive(action.id)
          ? store.subtree(action.id).filter((id) => store.isLive(id))
          : []
        : store
            .rows()
            .filter((row) => store.isLive(row.id) && matchesFilter(row, { ...action.filter, status: action.filter.status ?? 'running' }))
            .map((row) => row.id)
            .reverse(); // newest first: each gets this message rather than its parent's
    if (action.type === 'cancelSubtree' && ids.length === 0) throw new HttpError(404, 'ENOTFOUND', 'no running operation with this id');
    let cancelled = 0;
    for (const id of ids) {
      const result = await store.source.cancel(id, action.message);
      if (result.found) store.noteCancelRequested(id, action.message);
      if (result.cancelled) cancelled++;
    }
    return { matched: ids.length, cancelled };
  }
}
