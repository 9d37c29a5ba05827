/**
 * `remote.attach(registry)`: the registry's live operations become leases (the fleet sees them) and
 * watched ids (a remote cancel for one cancels `registry.get(id)` here). Operations that start later
 * join as they start; progress rewrites the lease (throttled); an operation that ends lets go at once.
 */
import type { OperationContext, OperationRegistry } from '../index.js';
import type { Reporter } from './diagnostics.js';
import type { LeaseKeeper } from './lease-keeper.js';
import { describe, isValidId } from './validate.js';
import type { WatchHub } from './watch-hub.js';

/** What {@link attachRegistry} needs from its remote. */
export interface AttachParts {
  readonly hub: WatchHub;
  readonly leases: LeaseKeeper;
  readonly report: Reporter;
}

/** Mirrors `registry` until the returned function is called. */
export function attachRegistry(registry: OperationRegistry, parts: AttachParts): () => void {
  const { hub, leases, report } = parts;
  const entries = new Map<string, () => void>();

  const add = (context: OperationContext): void => {
    const id: string = context.id;
    if (entries.has(id)) return;
    if (!isValidId(id)) {
      report('failure', 'attach', new RangeError(`operation id ${describe(id)} cannot be shared: ids must be printable, 1 to 256 bytes`));
      return;
    }
    const release = leases.hold(id, { describe: () => registry.get(id)?.context ?? context });
    const unwatch = hub.watch(id, (state) => {
      registry.get(id)?.cancel({ reason: state.reason, message: state.message ?? `Cancelled remotely by ${state.by}` });
      leases.touch(id);
    });
    entries.set(id, () => {
      unwatch();
      release();
    });
  };

  const remove = (id: string): void => {
    const stop = entries.get(id);
    if (stop === undefined) return;
    entries.delete(id);
    stop();
  };

  const unsubscribe = registry.subscribe(({ type, context }) => {
    if (type === 'start') add(context);
    else if (type === 'progress') leases.touch(context.id);
    else remove(context.id);
  });
  for (const context of registry.list()) add(context);

  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    unsubscribe();
    for (const id of [...entries.keys()]) remove(id);
  };
}
