import { CancelationSource, type CancelScope, type OperationContext, type TriggerArgument } from '../index.js';
import type { LeaseKeeper } from './lease-keeper.js';
import type { CancelState } from './records.js';
import { watchProgress } from './progress-watch.js';
import type { WatchHub } from './watch-hub.js';

/** Options of `remote.source(id, options)`. */
export interface RemoteSourceOptions {
  /** The name shown in the fleet when the scope is not known (default: the scope's name, else the id). */
  name?: string;
  /** Metadata shown in the fleet when the scope is not known (default: the scope's metadata). */
  metadata?: Record<string, unknown>;
}

/** @internal What a source needs from its remote. */
export interface RemoteParts {
  readonly hub: WatchHub;
  readonly leases: LeaseKeeper;
}

/**
 * A source that cancels its scope when `remote.cancel(id)` is called anywhere, with the reason and
 * message given there. While the scope runs, the id holds a liveness lease (host, pid, the scope's
 * context) that `remote.list()` shows fleet-wide. Made by `remote.source(id)`; one scope at a time.
 *
 * @example
 * ```ts
 * await new Cancelable({ name: 'export', sources: [remote.source('export-42')] }).run(async (scope) => {
 *   await exportEverything(scope.signal);
 * });
 * // elsewhere, on any machine: await remote.cancel('export-42', { message: 'Stopped by an admin' });
 * ```
 */
export class RemoteSource extends CancelationSource {
  /** The id this source watches (the id to cancel). */
  readonly id: string;
  readonly #parts: RemoteParts;
  readonly #options: RemoteSourceOptions;
  #state: CancelState | undefined;
  #scope: CancelScope | undefined;
  #startedAt = 0;
  #stop: (() => void) | undefined;

  /** @internal Use `remote.source(id)`. */
  constructor(parts: RemoteParts, id: string, options: RemoteSourceOptions) {
    super({ name: `remote:${id}` });
    this.#parts = parts;
    this.id = id;
    this.#options = options;
  }

  /** The cancel state that fired this source (reason, message, when and by whom), once it fired. */
  get state(): CancelState | undefined {
    return this.#state;
  }

  start(trigger: (argument?: TriggerArgument) => void, scope?: CancelScope): void {
    this.#state = undefined;
    this.#scope = scope;
    this.#startedAt = Date.now();
    const { hub, leases } = this.#parts;
    const id = this.id;
    const unwatchProgress = scope === undefined ? undefined : watchProgress(scope, () => leases.touch(id));
    const unwatch = hub.watch(id, (state) => {
      if (this.#state !== undefined) return;
      this.#state = state;
      trigger({ reason: state.reason, message: state.message ?? `Cancelled remotely by ${state.by}` });
      leases.touch(id);
    });
    const release = leases.hold(id, { describe: () => this.#describe() });
    this.#stop = () => {
      unwatchProgress?.();
      unwatch();
      release();
    };
  }

  stop(): void {
    const stop = this.#stop;
    this.#stop = undefined;
    this.#scope = undefined;
    stop?.();
  }

  #describe(): OperationContext {
    const scope = this.#scope;
    if (scope !== undefined) {
      const context = scope.context;
      return {
        ...context,
        name: this.#options.name ?? context.name,
        metadata: this.#options.metadata ?? context.metadata,
      };
    }
    const state = this.#state;
    return {
      id: this.id,
      name: this.#options.name ?? this.id,
      parentId: null,
      status: 'running',
      startTime: this.#startedAt,
      endTime: null,
      durationMs: Date.now() - this.#startedAt,
      cancelReason: state?.reason ?? null,
      cancelMessage: state?.message ?? null,
      error: null,
      progress: null,
      partialResult: null,
      metadata: this.#options.metadata ?? {},
    };
  }
}
