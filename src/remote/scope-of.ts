/**
 * Finds the scope a source was started for. A custom source's `start(trigger)` is not told its scope,
 * but the scope publishes `cancelable:start` synchronously right after starting its sources, and its
 * public `sources` list names them. So: while a source waits to learn its scope, listen to that
 * channel (only then: every scope start pays for a subscriber), and match by identity. A source
 * nested in an any-of / all-of source is not found this way; its lease then carries no context.
 * Once found, the scope's progress reports (the `cancelable:progress` channel, listened to only while
 * someone waits for them) tell the lease to refresh.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { channelNames, type Cancelable, type CancelationSource, type ProgressDiagnostic, type StartDiagnostic } from '../index.js';

const waiting = new Map<CancelationSource, (scope: Cancelable) => void>();
let subscribed = false;

function onStart(message: unknown): void {
  const scope = (message as StartDiagnostic).scope;
  for (const source of scope.sources) {
    const found = waiting.get(source);
    if (found === undefined) continue;
    waiting.delete(source);
    found(scope);
  }
  settle();
}

function settle(): void {
  if (waiting.size === 0 && subscribed) {
    subscribed = false;
    diagnosticsChannel.unsubscribe(channelNames.start, onStart);
  }
}

/**
 * Calls `found` with the scope `source` is being started for, if that scope announces itself before
 * the current synchronous start finishes (it does, unless another of its sources fails to start).
 */
export function findScopeOf(source: CancelationSource, found: (scope: Cancelable) => void): void {
  waiting.set(source, found);
  if (!subscribed) {
    subscribed = true;
    diagnosticsChannel.subscribe(channelNames.start, onStart);
  }
  // A start is synchronous: if nothing announced this source by the next microtask, nothing will.
  queueMicrotask(() => {
    if (waiting.get(source) === found) waiting.delete(source);
    settle();
  });
}

const progressWatchers = new Map<Cancelable, Set<() => void>>();

function onProgress(message: unknown): void {
  const watchers = progressWatchers.get((message as ProgressDiagnostic).scope);
  if (watchers !== undefined) for (const watcher of [...watchers]) watcher();
}

/** Calls `callback` whenever `scope` reports progress, until the returned function is called. */
export function watchProgress(scope: Cancelable, callback: () => void): () => void {
  let watchers = progressWatchers.get(scope);
  if (watchers === undefined) {
    if (progressWatchers.size === 0) diagnosticsChannel.subscribe(channelNames.progress, onProgress);
    progressWatchers.set(scope, (watchers = new Set()));
  }
  watchers.add(callback);
  return () => {
    if (!watchers.delete(callback) || watchers.size > 0) return;
    progressWatchers.delete(scope);
    if (progressWatchers.size === 0) diagnosticsChannel.unsubscribe(channelNames.progress, onProgress);
  };
}
