/**
 * The kernel (layer 0): imports nothing outside core/. The main entry re-exports its public part;
 * the other layers build on the rest.
 */
export { CancelScope } from './scope/cancel-scope.js';
export { DEFAULT_GRACE_MS, scopeOptionKeys } from './scope/options.js';
export type { CancelableOptions } from './scope/options.js';
export type { ContextCallback, ErrorCallback, ProgressCallback } from './scope/callbacks.js';
export type { ShieldOptions } from './scope/shield.js';
export { holdScope, onCancellation, resolveScope } from './scope/links.js';
export type { Hold, RunOutcome } from './scope/links.js';
export { TimeoutSource } from './time/timeout-source.js';
export { deadlineQueueStats, releaseIdleDeadlineTimers } from './time/deadline-queue.js';
export { DeadlineSource } from './time/deadline-source.js';
export { CancelationToken, parseCancelArgument } from './token.js';
export type { CancelArgument, CancelCallback } from './token.js';
export {
  CancelationError,
  ConditionCancelation,
  DisconnectCancelation,
  ManualCancelation,
  ParentCancelation,
  SignalCancelation,
  TimeoutCancelation,
  brandErrorClass,
  createCancelationError,
  isCancelation,
  isCancelationError,
} from './errors.js';
export type { CancelationErrorOptions, CancelationInit } from './errors.js';
export { CancelationReason, OperationStatus, isCancelationReason, reasonList } from './reasons.js';
export type { OperationContext, ProgressReport } from './context.js';
export { CancelationSource, MultiSource, kActivate, kDeactivate, kFire } from './source.js';
export type { CancelationSourceOptions, SourceTarget, TriggerArgument } from './source.js';
export {
  MAX_TIMER_DELAY,
  clearLongTimeout,
  getDefaultClock,
  setDefaultClock,
  setLongTimeout,
  systemClock,
  unrefLongTimeout,
} from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export {
  channelNames,
  channels,
  getLogger,
  log,
  reportCallbackError,
  reportSourceError,
  runTracing,
  setLogger,
  subscribeDiagnostics,
} from './diagnostics.js';
export type {
  AbandonedDiagnostic,
  CallbackErrorDiagnostic,
  CancelDiagnostic,
  DiagnosticsHandlers,
  EndDiagnostic,
  LogLevel,
  Logger,
  ProgressDiagnostic,
  Reportable,
  RunTraceContext,
  SourceErrorDiagnostic,
  StartDiagnostic,
} from './diagnostics.js';
export type { ScopeObserver } from './registry-hooks.js';
export { installDefaultRegistry, defaultRegistry, setAutoRegister, isAutoRegistering } from './registry-hooks.js';
export { runtime, singleton } from './runtime.js';
export { nextId } from './ids.js';
export { isThenable, ignoreRejection, noop, settleOnce } from './promise.js';
export { jsonCopy, jsonSafe } from './json.js';
export type { SettleOnce } from './promise.js';
export {
  checkDuration,
  checkDurationOrInfinity,
  checkFunction,
  checkInteger,
  checkInterval,
  checkKnownKeys,
  checkOptionalString,
  checkOptions,
  checkTime,
  describeValue,
  MAX_DATE_MS,
} from './validate.js';
export { cancelFieldsOf, readCancelFields, reviveError, serializeError, MAX_WIRE_MESSAGE_LENGTH } from './wire.js';
export type { CancelFields, SerializedError } from './wire.js';
export type { TraceChannel } from './platform.js';
export { asyncContextFollowsAwaits } from './platform.js';
