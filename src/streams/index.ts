export { cancelableStream } from './cancelable-stream.js';
export type { CancelableStreamOptions, StreamSource } from './cancelable-stream.js';
