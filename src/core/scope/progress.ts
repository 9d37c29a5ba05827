/**
 * `scope.reportProgress(message, metadata)`: the last report is kept on the context and handed to the
 * `onProgress` callbacks, the registries and the `cancelable:progress` channel.
 */
import { channels } from '../diagnostics.js';
import { describeValue } from '../validate.js';
import { runProgressCallbacks } from './callbacks.js';
import type { CancelScope } from './cancel-scope.js';
import { extrasOf } from './extras.js';
import { registerProgress } from './registration.js';

/** Records a progress report and tells everyone who listens. Bad input throws at the call. */
export function reportProgress(scope: CancelScope, message: string, metadata: Record<string, unknown> | undefined): void {
  if (typeof message !== 'string') throw new TypeError(`message must be a string, got ${describeValue(message)}`);
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object')) {
    throw new TypeError(`metadata must be an object, got ${describeValue(metadata)}`);
  }
  extrasOf(scope).progress = { message, metadata: metadata ?? null, at: scope._clock.now() };
  runProgressCallbacks(scope, message, metadata);
  registerProgress(scope, message, metadata);
  if (channels.progress.hasSubscribers) channels.progress.publish({ scope, message, metadata });
}
