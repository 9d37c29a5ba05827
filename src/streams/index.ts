export { cancelableStream } from './cancelable-stream.js';
export { CancelableAsyncIterator } from './iterator.js';
export { chunkedCancelableStream, ChunkedCancelableIterator } from './chunked.js';
export type { CancelableStreamOptions, ChunkedStreamOptions, NodeReadableLike, StreamPartialResult, StreamSource } from './types.js';
