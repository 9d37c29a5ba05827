import type { OperationRegistry } from '../index.js';
import { fleetSource } from './sources/fleet-source.js';
import { registrySource } from './sources/registry-source.js';
import type { DashboardAction, DashboardRequest, DashboardSource, FleetRemote } from './types.js';
import { checkOptionsObject, describeValue, integerOption } from './validate.js';

/**
 * Options of {@link dashboard}: one of `registry`, `remote` or `source`, and how to serve it.
 * @example
 * ```ts
 * const options: DashboardOptions = { registry: OperationRegistry.default, readOnly: true, basePath: '/ops' };
 * ```
 */
export interface DashboardOptions {
  /** Show (and act on) this process's registry. */
  registry?: OperationRegistry;
  /** Show the whole fleet through a remote (SPEC §11): every host's operations. */
  remote?: FleetRemote;
  /** Any other source (another process: {@link controlSource}). */
  source?: DashboardSource;
  /** Hide the actions; the API refuses them (403). Default false. */
  readOnly?: boolean;
  /**
   * Decides each action (cancel, cancel a subtree, cancel by filter): return (or resolve) `true` to
   * allow, anything else answers 403. Reads are not gated: mount the dashboard behind your own auth.
   */
  authorize?: (request: DashboardRequest, action: DashboardAction) => boolean | Promise<boolean>;
  /**
   * The path prefix the handler strips from `req.url` (`'/ops'` when a node:http server passes it
   * every request). Leave it out when the framework strips the mount path itself (Express `app.use`).
   */
  basePath?: string;
  /** The page title. Default `'cancelable'`. */
  title?: string;
  /** Origins allowed to send actions besides the page's own (e.g. behind a proxy that rewrites Host). */
  allowedOrigins?: readonly string[];
  /** Operations tracked at once (live and recently ended). Default 20,000. */
  maxOperations?: number;
  /** How long an ended operation stays in the live view, in ms. Default 10,000. */
  lingerMs?: number;
  /** Progress reports kept per operation for its timeline. Default 20. */
  progressHistory?: number;
  /** Ended operations the history view can show. Default 1,000. */
  historyLimit?: number;
  /** How often a fleet (or any source without events) is polled while the page is open, in ms. Default 1,000. */
  pollMs?: number;
  /** Largest action body accepted, in bytes. Default 16 KiB. */
  maxBodyBytes?: number;
  /** How often changes are pushed to the page, in ms. Default 250. */
  updateIntervalMs?: number;
  /** At most this many operation updates per page per interval. Default 2,000. */
  maxUpdatesPerInterval?: number;
  /** A page's event stream buffering more than this is dropped, in bytes. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** A page that reads nothing for this long is dropped, in ms. Default 15,000. */
  maxLagMs?: number;
  /** Pages connected at once (event streams). Default 100. */
  maxClients?: number;
}

const KEYS = [
  'registry',
  'remote',
  'source',
  'readOnly',
  'authorize',
  'basePath',
  'title',
  'allowedOrigins',
  'maxOperations',
  'lingerMs',
  'progressHistory',
  'historyLimit',
  'pollMs',
  'maxBodyBytes',
  'updateIntervalMs',
  'maxUpdatesPerInterval',
  'maxBufferedBytes',
  'maxLagMs',
  'maxClients',
] as const;

/** @internal Options checked, with defaults. */
export interface ResolvedDashboardOptions {
  source: DashboardSource;
  readOnly: boolean;
  authorize: DashboardOptions['authorize'];
  basePath: string;
  title: string;
  allowedOrigins: readonly string[];
  maxOperations: number;
  lingerMs: number;
  progressHistory: number;
  historyLimit: number;
  pollMs: number;
  maxBodyBytes: number;
  updateIntervalMs: number;
  maxUpdatesPerInterval: number;
  maxBufferedBytes: number;
  maxLagMs: number;
  maxClients: number;
}

function checkSource(source: unknown): DashboardSource {
  const candidate = source as Record<string, unknown> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    !['list', 'get', 'history', 'cancel'].every((name) => typeof candidate[name] === 'function') ||
    !['registry', 'process', 'fleet'].includes(candidate.kind as string)
  ) {
    throw new TypeError(`options.source must be a DashboardSource (kind, list, get, history, cancel), got ${describeValue(source)}`);
  }
  return source as DashboardSource;
}

/** @internal Validates {@link DashboardOptions}. */
export function resolveDashboardOptions(options: unknown): ResolvedDashboardOptions {
  checkOptionsObject('options', options, KEYS);
  const given = options as DashboardOptions;
  const sources = (['registry', 'remote', 'source'] as const).filter((key) => given[key] !== undefined);
  if (sources.length !== 1) {
    throw new TypeError(`options needs exactly one of registry, remote or source; got ${sources.length === 0 ? 'none' : sources.join(' and ')}`);
  }
  const source =
    given.registry !== undefined
      ? registrySource(given.registry)
      : given.remote !== undefined
        ? fleetSource(given.remote)
        : checkSource(given.source);
  if (given.readOnly !== undefined && typeof given.readOnly !== 'boolean') {
    throw new TypeError(`options.readOnly must be a boolean, got ${describeValue(given.readOnly)}`);
  }
  if (given.authorize !== undefined && typeof given.authorize !== 'function') {
    throw new TypeError(`options.authorize must be a function (request, action) => boolean, got ${describeValue(given.authorize)}`);
  }
  let basePath = given.basePath ?? '';
  if (typeof basePath !== 'string' || (basePath !== '' && (!basePath.startsWith('/') || /[?#\s]/.test(basePath)))) {
    throw new TypeError(`options.basePath must be a path starting with "/" (no query), got ${describeValue(given.basePath)}`);
  }
  basePath = basePath.replace(/\/+$/, '');
  const title = given.title ?? 'cancelable';
  if (typeof title !== 'string' || title.length > 200) throw new TypeError(`options.title must be a string of at most 200 characters, got ${describeValue(title)}`);
  const allowedOrigins = given.allowedOrigins ?? [];
  if (!Array.isArray(allowedOrigins) || !allowedOrigins.every((origin) => typeof origin === 'string')) {
    throw new TypeError(`options.allowedOrigins must be an array of origins ("https://ops.example.com"), got ${describeValue(allowedOrigins)}`);
  }
  return {
    source,
    readOnly: given.readOnly ?? false,
    authorize: given.authorize,
    basePath,
    title,
    allowedOrigins,
    maxOperations: integerOption('options.maxOperations', given.maxOperations, 20_000, 1, 1_000_000),
    lingerMs: integerOption('options.lingerMs', given.lingerMs, 10_000, 0, 86_400_000),
    progressHistory: integerOption('options.progressHistory', given.progressHistory, 20, 0, 1_000),
    historyLimit: integerOption('options.historyLimit', given.historyLimit, 1_000, 1, 100_000),
    pollMs: integerOption('options.pollMs', given.pollMs, 1_000, 10, 3_600_000),
    maxBodyBytes: integerOption('options.maxBodyBytes', given.maxBodyBytes, 16 * 1024, 64, 1024 * 1024),
    updateIntervalMs: integerOption('options.updateIntervalMs', given.updateIntervalMs, 250, 10, 60_000),
    maxUpdatesPerInterval: integerOption('options.maxUpdatesPerInterval', given.maxUpdatesPerInterval, 2_000, 1, 1_000_000),
    maxBufferedBytes: integerOption('options.maxBufferedBytes', given.maxBufferedBytes, 1024 * 1024, 16 * 1024, 1024 * 1024 * 1024),
    maxLagMs: integerOption('options.maxLagMs', given.maxLagMs, 15_000, 0, 3_600_000),
    maxClients: integerOption('options.maxClients', given.maxClients, 100, 1, 10_000),
  };
}
