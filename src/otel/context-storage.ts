import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, ContextManager } from '@opentelemetry/api';
import type { OtelApi } from './options.js';

/**
 * The AsyncLocalStorage behind an OpenTelemetry context manager, when it has one: the SDK's
 * `AsyncLocalStorageContextManager` keeps the active context in `_asyncLocalStorage`. Binding that
 * storage to the `tracing:cancelable.run` channel (`bindStore`) makes a scope's span the active context
 * for its whole body, exactly as `context.with(ctx, body)` would, without wrapping the body.
 * `undefined` for other managers (none registered yet, zone.js, a custom one): spans are then still
 * recorded, but not made active.
 *
 * The manager comes from `explicit`, else from the API's registered one (`_getContextManager()`, which
 * the API keeps private but stable across 1.x).
 */
export function findContextStorage(api: OtelApi, explicit: ContextManager | undefined): AsyncLocalStorage<Context> | undefined {
  let manager: unknown = explicit;
  if (manager === undefined) {
    try {
      manager = (api.context as unknown as { _getContextManager?: () => unknown })._getContextManager?.();
    } catch {
      return undefined;
    }
  }
  if (manager === null || typeof manager !== 'object') return undefined;
  const storage = (manager as { _asyncLocalStorage?: unknown })._asyncLocalStorage;
  return storage instanceof AsyncLocalStorage ? (storage as AsyncLocalStorage<Context>) : undefined;
}
