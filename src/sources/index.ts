export { TokenSource } from './token.js';
export { AbortSignalSource } from './abort-signal.js';
export { SignalSource, defaultSignals } from './signal.js';
export type { SignalName } from './signal-names.js';
export type { SignalSourceArgs, SignalSourceOptions, WithSignalArgs, WithSignalOptions } from './signal.js';
export { ConditionSource } from './condition.js';
export type { ConditionPredicate, ConditionSourceOptions, WithConditionOptions } from './condition.js';
export { AnyOfSource, AllOfSource } from './composite.js';
export type { CompositeItem, CompositeSourceOptions } from './composite.js';
