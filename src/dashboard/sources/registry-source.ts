import type { OperationRegistry } from '../../index.js';
import { describeValue } from '../validate.js';
import type { DashboardSource } from '../types.js';

/**
 * A {@link DashboardSource} over an `OperationRegistry` of this process: its live operations and
 * history, change events through `subscribe`, cancels through `registry.cancel` (reason `manual`).
 * @example
 * ```ts
 * import { OperationRegistry } from 'cancelable-ts';
 * import { dashboard, registrySource } from 'cancelable-ts/dashboard';
 * const handler = dashboard({ source: registrySource(new OperationRegistry()) });
 * ```
 */
export function registrySource(registry: OperationRegistry): DashboardSource {
  // Structural check: a registry from the other build (ESM/CommonJS) of the library is one too.
  const candidate = registry as unknown as Record<string, unknown> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    !['list', 'get', 'history', 'cancel', 'subscribe'].every((name) => typeof candidate[name] === 'function')
  ) {
    throw new TypeError(`registry must be an OperationRegistry, got ${describeValue(registry)}`);
  }
  return {
    kind: 'registry',
    description: `process ${process.pid}`,
    list: () => Promise.resolve(registry.list()),
    get: (id) => Promise.resolve(registry.get(id)?.context),
    history: (limit) => Promise.resolve(registry.history({ limit })),
    cancel(id, message) {
      const scope = registry.get(id);
      if (scope === undefined) return Promise.resolve({ found: false, cancelled: false });
      const already = scope.isCancelled;
      registry.cancel(id, { reason: 'manual', message });
      return Promise.resolve({ found: true, cancelled: !already && scope.isCancelled });
    },
    watch: (listener) => registry.subscribe(listener),
  };
}
