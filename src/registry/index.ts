export { DEFAULT_HISTORY_LIMIT, OperationRegistry } from './operation-registry.js';
export type {
  CleanupOptions,
  CleanupResult,
  OperationRegistryOptions,
  RegistryEvent,
  RegistryListener,
  RegistryStats,
} from './operation-registry.js';
export type { HistoryOptions, OperationFilter } from './filters.js';
