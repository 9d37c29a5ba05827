import type { Clock } from './clock.js';
import type { Logger } from './diagnostics.js';
import { createStorage, type ContextStorage } from './platform.js';

/**
 * Process-wide state, kept on `globalThis` under a registered symbol so that the ESM and CommonJS
 * builds (the "dual package hazard") share one async context, one clock, one logger and one set of
 * registries instead of silently splitting them.
 */
export interface Runtime {
  readonly version: 1;
  /** The async context holding the innermost running scope. */
  readonly storage: ContextStorage<object>;
  clock: Clock | undefined;
  logger: Logger | undefined;
  /** Registries with `autoRegister` on; scopes register with each at start. */
  readonly autoRegistries: Set<object>;
  /** Free slots for other modules' singletons (signal listeners, default registry...). */
  readonly slots: Map<string, unknown>;
}

const key = Symbol.for('cancelable.runtime.v1');
const holder = globalThis as unknown as Record<symbol, Runtime | undefined>;

export const runtime: Runtime = (holder[key] ??= {
  version: 1,
  storage: createStorage<object>(),
  clock: undefined,
  logger: undefined,
  autoRegistries: new Set(),
  slots: new Map(),
});

/** A process-wide singleton shared by every copy of the library. */
export function singleton<T>(name: string, create: () => T): T {
  let value = runtime.slots.get(name) as T | undefined;
  if (value === undefined) {
    value = create();
    runtime.slots.set(name, value);
  }
  return value;
}
