/**
 * A scope's registries (`register: true`, `register: registry`, `registry.autoRegister`): told when
 * the run starts, reports progress and ends. An unregistered scope pays one check.
 */
import { reportCallbackError } from '../diagnostics.js';
import { defaultRegistry, type ScopeObserver } from '../registry-hooks.js';
import { runtime } from '../runtime.js';
import type { CancelScope } from './cancel-scope.js';
import { extrasOf } from './extras.js';

/** Registers a starting scope; throws (the run then fails) when a registry refuses it. */
export function registerStart(scope: CancelScope): void {
  const register = scope._x?.register ?? false;
  const auto = runtime.autoRegistries;
  if (register === false && auto.size === 0) return;
  const registries: ScopeObserver[] = [];
  if (register === true) registries.push(defaultRegistry());
  else if (register !== false) registries.push(register);
  for (const registry of auto) {
    if (!registries.includes(registry as ScopeObserver)) registries.push(registry as ScopeObserver);
  }
  const accepted: ScopeObserver[] = [];
  extrasOf(scope).registries = accepted;
  for (const registry of registries) {
    registry.scopeStarted(scope);
    accepted.push(registry);
  }
}

/** Tells the registries of a progress report. */
export function registerProgress(scope: CancelScope, message: string, metadata: Record<string, unknown> | undefined): void {
  const registries = scope._x?.registries;
  if (registries === undefined) return;
  for (const registry of registries) {
    try {
      registry.scopeProgress(scope, message, metadata);
    } catch (failure) {
      reportCallbackError(scope, 'registry.scopeProgress', failure);
    }
  }
}

/** Tells the registries the scope ended (its status is final). */
export function registerEnd(scope: CancelScope): void {
  const x = scope._x;
  const registries = x?.registries;
  if (x === undefined || registries === undefined) return;
  x.registries = undefined;
  for (const registry of registries) {
    try {
      registry.scopeEnded(scope);
    } catch (error) {
      reportCallbackError(scope, 'registry.scopeEnded', error);
    }
  }
}
