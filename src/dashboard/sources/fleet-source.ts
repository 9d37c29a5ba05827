import { describeValue } from '../validate.js';
import type { DashboardSource, FleetRemote } from '../types.js';

/**
 * A {@link DashboardSource} over a fleet `remote` (SPEC §11): every host's live operations, polled
 * with `remote.list()` (the leases carry no events), and cancels through `remote.cancel` from here to
 * whichever machine runs the operation. A lease that goes away ends the operation in the dashboard;
 * the fleet does not say how it ended, so it shows as `cancelled` when it was cancelled from here or
 * carried a cancel reason, and `ended` otherwise.
 * @example
 * ```ts
 * import { dashboard, fleetSource, type FleetRemote } from 'cancelable-ts/dashboard';
 * declare const remote: FleetRemote; // createRedisCancelation({ client }) from cancelable-ts/redis
 * const handler = dashboard({ source: fleetSource(remote) });
 * ```
 */
export function fleetSource(remote: FleetRemote): DashboardSource {
  const candidate = remote as unknown as Record<string, unknown> | null;
  if (candidate === null || typeof candidate !== 'object' || !['list', 'get', 'cancel'].every((name) => typeof candidate[name] === 'function')) {
    throw new TypeError(`remote must have list(), get() and cancel() (a fleet remote), got ${describeValue(remote)}`);
  }
  return {
    kind: 'fleet',
    description: 'fleet',
    list: () => remote.list(),
    get: (id) => remote.get(id),
    history: () => Promise.resolve([]),
    async cancel(id, message) {
      const result = await remote.cancel(id, { reason: 'manual', message });
      const running = result !== null && typeof result === 'object' && result.running === true;
      const cancelled = result !== null && typeof result === 'object' && result.cancelled === true;
      return { found: running, cancelled: running && cancelled };
    },
  };
}
