export { Cancelable, DEFAULT_GRACE_MS } from './scope.js';
export type {
  CancelableOptions,
  CombineItem,
  ContextCallback,
  ErrorCallback,
  ProgressCallback,
  ShieldOptions,
} from './scope.js';
export { CancelationToken } from './token.js';
export type { CancelArgument, CancelCallback } from './token.js';
export {
  CancelationError,
  ConditionCancelation,
  DisconnectCancelation,
  ManualCancelation,
  ParentCancelation,
  SignalCancelation,
  TimeoutCancelation,
  isCancelation,
  isCancelationError,
} from './errors.js';
export type { CancelationErrorOptions, CancelationInit } from './errors.js';
export { CancelationReason, OperationStatus } from './reasons.js';
export type { OperationContext, ProgressReport } from './context.js';
export { CancelationSource } from './source.js';
export type { CancelationSourceOptions, TriggerArgument } from './source.js';
export { getDefaultClock, setDefaultClock, systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { channelNames, getLogger, runTracing, setLogger, subscribeDiagnostics } from './diagnostics.js';
export type {
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
} from './diagnostics.js';
export type { ScopeObserver } from './registry-hooks.js';
