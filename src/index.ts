/**
 * cancelable-ts — structured cancellation of async work. This main entry is platform-neutral (Node,
 * Bun, Deno, edge runtimes and browsers); Node-only features live in `cancelable-ts/worker` and
 * `cancelable-ts/process`.
 *
 * @packageDocumentation
 */
export { Cancelable } from './cancelable.js';
export type { CombineItem } from './cancelable.js';
export {
  CancelScope,
  DEFAULT_GRACE_MS,
  CancelationToken,
  CancelationError,
  ConditionCancelation,
  DisconnectCancelation,
  ManualCancelation,
  ParentCancelation,
  SignalCancelation,
  TimeoutCancelation,
  isCancelation,
  isCancelationError,
  CancelationReason,
  OperationStatus,
  CancelationSource,
  TimeoutSource,
  DeadlineSource,
  getDefaultClock,
  setDefaultClock,
  systemClock,
  channelNames,
  getLogger,
  runTracing,
  setLogger,
  subscribeDiagnostics,
} from './core/index.js';
export type {
  CancelableOptions,
  ContextCallback,
  ErrorCallback,
  ProgressCallback,
  ShieldOptions,
  CancelArgument,
  CancelCallback,
  CancelationErrorOptions,
  CancelationInit,
  OperationContext,
  ProgressReport,
  CancelationSourceOptions,
  TriggerArgument,
  Clock,
  TimerHandle,
  AbandonedDiagnostic,
  CallbackErrorDiagnostic,
  CancelDiagnostic,
  DiagnosticsHandlers,
  EndDiagnostic,
  LogLevel,
  Logger,
  ProgressDiagnostic,
  RunTraceContext,
  SourceErrorDiagnostic,
  StartDiagnostic,
  ScopeObserver,
  TraceChannel,
} from './core/index.js';
export * from './sources/index.js';
export * from './streams/index.js';
export * from './wrappers/index.js';
export * from './registry/index.js';

declare global {
  interface SymbolConstructor {
    /**
     * The key of `[Symbol.asyncDispose]()` (`await using`), which scopes and streams implement. Declared
     * here as `@types/node` and `lib.esnext.disposable` do, so that the declarations compile with
     * TypeScript 5.0 and without either (SPEC §13); on Node 20, Bun, Deno and current browsers it exists.
     */
    readonly asyncDispose: unique symbol;
  }
}
