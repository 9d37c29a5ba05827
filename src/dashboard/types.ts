import type { IncomingMessage } from 'node:http';
import type { OperationContext } from '../index.js';

/** An operation as the dashboard sees it: a context, plus where it runs when it comes from a fleet. */
export type DashboardOperation = OperationContext & {
  /** The machine (fleet sources). */
  host?: string;
  /** The process id (fleet sources). */
  pid?: number;
  /** The process instance (fleet sources). */
  instance?: string;
};

/** A change pushed by a source: an operation started, reported progress, or ended. */
export interface SourceEvent {
  type: 'start' | 'progress' | 'end';
  context: DashboardOperation;
}

/** What a cancel through a source did. */
export interface SourceCancelResult {
  /** A live operation had that id. */
  found: boolean;
  /** This call cancelled it (false when it was already cancelled, or not found). */
  cancelled: boolean;
}

/**
 * Where the dashboard gets its operations: an `OperationRegistry` ({@link registrySource}), a fleet
 * `remote` ({@link fleetSource}), another process's registry through its control socket
 * ({@link controlSource}), or your own implementation. A source with `watch` pushes changes; one
 * without is polled with `list()`.
 * @example
 * ```ts
 * import { OperationRegistry } from 'cancelable-ts';
 * import { registrySource, serveDashboard } from 'cancelable-ts/dashboard';
 * const served = await serveDashboard({ source: registrySource(OperationRegistry.default) });
 * console.log(served.url);
 * ```
 */
export interface DashboardSource {
  /** `registry` (this process), `process` (another process), `fleet` (every host). */
  readonly kind: 'registry' | 'process' | 'fleet';
  /** A short description shown in the page ("this process", "process 4242", "fleet"). */
  readonly description: string;
  /** The live operations. */
  list(): Promise<readonly DashboardOperation[]>;
  /** One live operation. */
  get(id: string): Promise<DashboardOperation | undefined>;
  /** Ended operations, oldest first, at most `limit` (sources without a history return []). */
  history(limit: number): Promise<readonly DashboardOperation[]>;
  /** Cancels one live operation with reason `manual` and this message. */
  cancel(id: string, message: string): Promise<SourceCancelResult>;
  /** Pushes changes as they happen; returns a function that stops. Optional: else `list()` is polled. */
  watch?(listener: (event: SourceEvent) => void): () => void;
  /** Releases what the source holds (a connection, a subscription). */
  close?(): void | Promise<void>;
}

/** An operation of the fleet: a context plus the machine and process running it. */
export type FleetOperation = OperationContext & { host: string; pid: number; instance: string };

/**
 * The fleet API the dashboard reads (what `createRedisCancelation()` / `createPostgresCancelation()`
 * return as `remote`, SPEC §11), structurally: any object with these members works.
 * @example
 * ```ts
 * const handler = dashboard({ remote }); // every host's operations, polled
 * ```
 */
export interface FleetRemote {
  list(filter?: { name?: string; host?: string; status?: string }): Promise<FleetOperation[]>;
  get(id: string): Promise<FleetOperation | undefined>;
  cancel(id: string, options: { reason?: 'manual'; message?: string }): Promise<{ cancelled: boolean; running: boolean }>;
}

/** A request as the handler received it: Node's, or a web `Request` (the `fetch` variant). */
export type DashboardRequest = IncomingMessage | Request;

/** An action the page can ask for, as {@link DashboardOptions.authorize} sees it. */
export type DashboardAction =
  | { type: 'cancel'; id: string; message: string }
  | { type: 'cancelSubtree'; id: string; message: string }
  | { type: 'cancelFilter'; filter: DashboardFilter; message: string };

/** A filter of operations: case-insensitive substrings, and a status. */
export interface DashboardFilter {
  name?: string;
  host?: string;
  status?: string;
}
