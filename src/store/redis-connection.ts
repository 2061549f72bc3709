/** Connections to Redis (standalone, Sentinel or Cluster, from the store options). */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisNode = { host: string; port: number };

export interface RedisStoreOptions {
  /**
   * redis:// or rediss:// URL (default redis://127.0.0.1:6379). With `sentinels` or `cluster`
   * only its credentials, TLS and database number are used.
   */
  url?: string;
  /** Prepended to every key and channel, e.g. 'qrid:'. */
  keyPrefix: string;
  sentinels?: { name: string; nodes: readonly RedisNode[]; password?: string };
  cluster?: { nodes: readonly RedisNode[] };
  connectTimeoutMs?: number;
  /** Shown by Redis's CLIENT LIST for every connection of this store (CLIENT SETNAME rules: no spaces). */
  connectionName?: string;
  /** Longest a call may wait for Redis before it rejects (default 2000). */
  commandTimeoutMs?: number;
  /** Connection errors and exceptions thrown by subscribers; the client keeps retrying regardless. */
  onError?: (error: unknown) => void;
  /**
   * How often the pub/sub connection is PINGed (default 15000 ms). One that does not answer
   * within the command timeout is dropped and reconnected, so a connection that died silently
   * is replaced within about this long.
   */
  pubsubCheckMs?: number;
}

export type Connection = Redis | Cluster;

function urlOptions(url: string | undefined): RedisOptions {
  if (!url) return {};
  const { username, password, protocol, pathname } = new URL(url);
  const db = Number(pathname.slice(1));
  const options: RedisOptions = {};
  if (username) options.username = decodeURIComponent(username);
  if (password) options.password = decodeURIComponent(password);
  if (protocol === 'rediss:') options.tls = {};
  if (Number.isInteger(db) && db > 0) options.db = db;
  return options;
}

export function connect(options: RedisStoreOptions): Connection {
  const backoff = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000);
  const common: RedisOptions = {
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    // The offline queue stays on so calls made while the first connection opens wait for it;
    // this fails queued calls after two lost reconnect attempts instead of holding them.
    maxRetriesPerRequest: 1,
    // Every command answers within this or fails (the store reports it as unavailable).
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    retryStrategy: backoff,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  };
  if (options.cluster) {
    const { db: _db, ...credentials } = urlOptions(options.url); // Cluster has only database 0
    return new Cluster([...options.cluster.nodes], {
      redisOptions: { ...common, ...credentials },
      clusterRetryStrategy: backoff,
    });
  }
  if (options.sentinels) {
    return new Redis({
      ...common,
      ...urlOptions(options.url),
      sentinels: [...options.sentinels.nodes],
      name: options.sentinels.name,
      ...(options.sentinels.password ? { sentinelPassword: options.sentinels.password } : {}),
    });
  }
  return new Redis(options.url ?? 'redis://127.0.0.1:6379', common);
}
