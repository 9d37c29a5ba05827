/**
 * Progress of the scope a remote source serves: its reports (the `cancelable:progress` channel,
 * listened to only while someone waits for them) tell the lease to refresh.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { channelNames, type CancelScope as Cancelable, type ProgressDiagnostic } from '../index.js';

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
