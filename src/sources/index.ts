export { TimeoutSource } from './timeout.js';
export { DeadlineSource } from './deadline.js';
export { TokenSource } from './token.js';
export { AbortSignalSource } from './abort-signal.js';
