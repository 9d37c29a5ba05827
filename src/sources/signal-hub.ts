import { singleton } from '../core/runtime.js';
import type { SignalName } from './signal-names.js';

/** @internal Called with the signal's name each time the process receives it. Must not throw. */
export type SignalSubscriber = (signal: SignalName) => void;

interface HubEntry {
  /** The one listener installed on `process` for this signal. */
  readonly listener: () => void;
  readonly subscribers: Set<SignalSubscriber>;
}

/**
 * One process listener per signal name, shared by every scope (and by the ESM and CommonJS copies
 * of the library, hence the runtime singleton). Installing a listener suspends Node's default exit
 * for that signal; removing the last one restores it, so the hub removes its listener as soon as
 * nobody subscribes any more.
 */
const hub = singleton('sources.signal-hub.v1', () => new Map<SignalName, HubEntry>());

function dispatch(signal: SignalName, subscribers: Set<SignalSubscriber>): void {
  if (subscribers.size === 1) {
    for (const subscriber of subscribers) subscriber(signal);
    return;
  }
  // A subscriber may end its scope (and unsubscribe others) synchronously: iterate a snapshot and
  // skip those gone meanwhile.
  for (const subscriber of [...subscribers]) {
    if (subscribers.has(subscriber)) subscriber(signal);
  }
}

/**
 * @internal Calls `subscriber` each time the process receives `signal`, until the returned function
 * is called (idempotent). The first subscriber of a signal installs the shared process listener,
 * the last one to leave removes it.
 */
export function subscribeSignal(signal: SignalName, subscriber: SignalSubscriber): () => void {
  let entry = hub.get(signal);
  if (entry === undefined) {
    const subscribers = new Set<SignalSubscriber>();
    const created: HubEntry = { listener: () => dispatch(signal, subscribers), subscribers };
    process.on(signal, created.listener);
    hub.set(signal, created);
    entry = created;
  }
  const current = entry;
  current.subscribers.add(subscriber);
  return () => {
    if (!current.subscribers.delete(subscriber) || current.subscribers.size > 0) return;
    if (hub.get(signal) === current) hub.delete(signal);
    process.removeListener(signal, current.listener);
  };
}

/** @internal How many subscribers `signal` has right now (tests, diagnostics). */
export function signalSubscriberCount(signal: SignalName): number {
  return hub.get(signal)?.subscribers.size ?? 0;
}
