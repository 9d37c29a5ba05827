import { runtime } from './runtime.js';

/**
 * What a registry must offer for scopes to report to it. `OperationRegistry` implements it; scopes
 * call it only when registered, so unregistered scopes pay nothing.
 * The `scope` argument is a `Cancelable` (typed loosely here to keep core free of cycles).
 */
export interface ScopeObserver {
  /** A registered scope started. May throw (e.g. a duplicate id): the run then fails with that error. */
  scopeStarted(scope: object): void;
  /** A registered scope reported progress. */
  scopeProgress(scope: object, message: string, metadata: Record<string, unknown> | undefined): void;
  /** A registered scope ended (its status is final). */
  scopeEnded(scope: object): void;
}

const defaultKey = 'defaultRegistry';

/** @internal Installs the registry that `register: true` means. */
export function installDefaultRegistry(registry: ScopeObserver): void {
  runtime.slots.set(defaultKey, registry);
}

/** @internal The registry that `register: true` means. */
export function defaultRegistry(): ScopeObserver {
  const registry = runtime.slots.get(defaultKey) as ScopeObserver | undefined;
  if (registry === undefined) {
    throw new Error("register: true needs the default OperationRegistry; import it from 'cancelable-ts'");
  }
  return registry;
}

/** @internal Turns a registry's auto-registration on or off. */
export function setAutoRegister(registry: ScopeObserver, on: boolean): void {
  if (on) runtime.autoRegistries.add(registry);
  else runtime.autoRegistries.delete(registry);
}

/** @internal Whether a registry auto-registers every scope. */
export function isAutoRegistering(registry: ScopeObserver): boolean {
  return runtime.autoRegistries.has(registry);
}
