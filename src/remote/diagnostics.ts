import diagnosticsChannel from 'node:diagnostics_channel';

/** The diagnostics channel the remote backends report on. */
export const remoteErrorChannelName = 'cancelable:remote-error';

const channel = diagnosticsChannel.channel(remoteErrorChannelName);

/**
 * Payload of `cancelable:remote-error`. `kind` is `garbage` when something read from the server (a
 * state key or row, a lease, a channel message) was not what this library writes: it was ignored.
 * It is `failure` when a command or connection failed: the backend retries (on reconnect, at the next
 * poll or lease renewal) and the operation carries on.
 *
 * @example
 * ```ts
 * import diagnosticsChannel from 'node:diagnostics_channel';
 * diagnosticsChannel.subscribe('cancelable:remote-error', (event) => {
 *   const { backend, kind, what, error } = event as RemoteErrorDiagnostic;
 *   console.warn(`${backend} ${kind} (${what}):`, error);
 * });
 * ```
 */
export interface RemoteErrorDiagnostic {
  readonly backend: 'redis' | 'postgres';
  readonly namespace: string;
  readonly kind: 'garbage' | 'failure';
  /** What was read or done: `state`, `lease`, `message`, `subscribe`, `read`, `lease-renew`, `connection`... */
  readonly what: string;
  /** The operation id concerned, when one is known and valid. */
  readonly id: string | undefined;
  readonly error: unknown;
}

/** Publishes one report (free when nobody subscribes). Never throws. */
export function reportRemote(event: RemoteErrorDiagnostic): void {
  if (!channel.hasSubscribers) return;
  try {
    channel.publish(event);
  } catch {
    // A subscriber that throws must not break a watcher.
  }
}

/** A reporter bound to one backend and namespace. */
export type Reporter = (kind: RemoteErrorDiagnostic['kind'], what: string, error: unknown, id?: string) => void;

/** Builds the {@link Reporter} of one backend instance. */
export function reporterFor(backend: RemoteErrorDiagnostic['backend'], namespace: string): Reporter {
  return (kind, what, error, id) => reportRemote({ backend, namespace, kind, what, id, error });
}
