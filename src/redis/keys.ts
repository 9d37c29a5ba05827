/**
 * Key and channel names. Every key of one id carries the same hash tag (`{...}`), so on Redis Cluster
 * they share a slot and the cancel script may touch them together. Ids are opaque: the three
 * characters that would change the tag (`{`, `}`) or the escape itself (`%`) are percent-encoded,
 * which keeps the names of ordinary ids readable and never maps two ids to one key.
 */
const ESCAPES: Record<string, string> = { '%': '%25', '{': '%7B', '}': '%7D' };

/** The hash tag of an id (without braces). */
export function tagOf(id: string): string {
  return /[%{}]/.test(id) ? id.replace(/[%{}]/g, (c) => ESCAPES[c] as string) : id;
}

/** The names one namespace uses. */
export interface RedisNames {
  /** The state of an id: `ns:{id}:c` (JSON, set once with NX and a TTL). */
  state(id: string): string;
  /** The lease of an id: `ns:{id}:live` (JSON, renewed with a TTL). */
  lease(id: string): string;
  /** The per-id channel in sharded mode: `ns:{id}:cancel`. */
  shardChannel(id: string): string;
  /** The one channel of the namespace otherwise: `ns:cancel`. */
  readonly channel: string;
  /** The set of ids that hold (or held) a lease: `ns:leases`. */
  readonly leaseIndex: string;
  /** The subscriber connection's CLIENT SETNAME. */
  readonly subscriberName: string;
}

export function redisNames(namespace: string): RedisNames {
  return {
    state: (id) => `${namespace}:{${tagOf(id)}}:c`,
    lease: (id) => `${namespace}:{${tagOf(id)}}:live`,
    shardChannel: (id) => `${namespace}:{${tagOf(id)}}:cancel`,
    channel: `${namespace}:cancel`,
    leaseIndex: `${namespace}:leases`,
    subscriberName: `cancelable:${namespace}:sub`,
  };
}
