export { cancelable } from './cancelable.js';
export { withTimeout } from './with-timeout.js';
export { cancelableWithToken } from './with-token.js';
export { cancelableWithSignal } from './with-signal.js';
export type { SignalList, SignalWrapperOptions } from './with-signal.js';
export { cancelableWithCondition } from './with-condition.js';
export type { ConditionWrapperOptions } from './with-condition.js';
export { cancelableCombine } from './combine.js';
export { withCancelable } from './with-cancelable.js';
export type {
  AsyncMethod,
  CancelableFunction,
  CancelableWrapper,
  CancelableWrapperOptions,
  ScopedFunction,
} from './spec.js';
