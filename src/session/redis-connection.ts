import type { Logger } from 'pino';
import { createClient, createCluster, createSentinel, type RedisClientType, type RedisClusterType, type RedisSentinelType } from 'redis';
import type { RedisConfig } from '../config/index.js';

/**
 * The shared state's Redis, whichever of the three deployments `RedisConfig` names: one
 * server, a Redis Cluster, or a primary behind Sentinel. All three speak the same
 * commands; a cluster routes each by its key's slot, which is why every operation of
 * the BFF names one key, or several with one hash tag (see redis-state.ts).
 */
export type SharedRedis =
  | RedisClientType<any, any, any, any, any>
  | RedisClusterType<any, any, any, any, any>
  | RedisSentinelType<any, any, any, any, any>;

/** Credentials and TLS of a `redis://` / `rediss://` URL, as node-redis client options. */
function urlOptions(url: string) {
  const u = new URL(url);
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { socket: { tls: true as const } } : {}),
  };
}

/**
 * Creates the client for `config` (not yet connected). Every node's client is built with
 * `disableOfflineQueue`: while Redis is away a command fails at once (the request gets
 * `SESSION_STORE_UNAVAILABLE`) instead of waiting in memory until it is back, and the
 * client reconnects by itself (node-redis' default backoff).
 */
export function createSharedRedis(config: RedisConfig): SharedRedis {
  const common = { disableOfflineQueue: true } as const;
  switch (config.kind) {
    case 'single':
      return createClient({ url: config.url, ...common }) as RedisClientType;
    case 'cluster':
      return createCluster({
        rootNodes: config.nodes.map((url) => ({ url })),
        // Nodes found through CLUSTER SLOTS authenticate like the first one given.
        defaults: { ...urlOptions(config.nodes[0]!), ...common },
      }) as unknown as SharedRedis;
    case 'sentinel': {
      const options = { ...urlOptions(config.sentinels[0]!), ...common };
      return createSentinel({
        name: config.name,
        sentinelRootNodes: config.sentinels.map((s) => {
          const u = new URL(s);
          return { host: u.hostname, port: Number(u.port || 26379) };
        }),
        nodeClientOptions: options,
        sentinelClientOptions: options,
      }) as unknown as SharedRedis;
    }
  }
}

/** Creates and connects the client for `config`, logging its connection errors (never a credential). */
export async function connectSharedRedis(config: RedisConfig, logger: Logger): Promise<SharedRedis> {
  const client = createSharedRedis(config);
  client.on('error', (err: Error) => logger.error({ err: { message: err.message }, redis: config.kind }, 'redis connection error'));
  await client.connect();
  return client;
}

/** Whether commands would be sent now (a cluster: whether it is open; the slot's node may still be reconnecting). */
export function redisReady(client: SharedRedis): boolean {
  const c = client as unknown as { isReady?: boolean; isOpen: boolean };
  return typeof c.isReady === 'boolean' ? c.isReady : c.isOpen;
}

/** One round trip, for readiness: PING on a server or the Sentinel primary, on every cluster primary. */
export async function pingSharedRedis(client: SharedRedis): Promise<void> {
  if (isCluster(client)) {
    await Promise.all(client.masters.map(async (m) => (await client.nodeClient(m)).ping()));
  } else {
    await (client as RedisClientType).ping();
  }
}

/** Whether `client` is a cluster client (it routes by slot and knows its primaries). */
export function isCluster(client: SharedRedis): client is RedisClusterType<any, any, any, any, any> & RedisClusterType {
  return Array.isArray((client as { masters?: unknown }).masters);
}
