import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { createClient, createCluster, createSentinel, type RedisClientType, type RedisClusterType, type RedisSentinelType } from '@redis/client';
import type { RedisConfig } from '../config/index.js';
import type { SecretSource } from '../secrets/index.js';

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
export function createSharedRedis(config: RedisConfig, password?: SecretSource): SharedRedis {
  const common = { disableOfflineQueue: true, ...(password ? { credentialsProvider: passwordProvider(config, password) } : {}) } as const;
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

/**
 * `REDIS_PASSWORD` through a credentials provider, which node-redis asks at every
 * (re)connection: a rotated password file is used from the next connection on, and the
 * password never becomes part of a URL. The user is the (first) URL's, if it names one.
 */
function passwordProvider(config: RedisConfig, password: SecretSource) {
  const first = config.kind === 'single' ? config.url : config.kind === 'cluster' ? config.nodes[0]! : config.sentinels[0]!;
  const username = decodeURIComponent(new URL(first).username) || undefined;
  return {
    type: 'async-credentials-provider' as const,
    credentials: async () => ({ ...(username ? { username } : {}), password: password.current() }),
  };
}

/** Creates and connects the client for `config`, logging its connection errors (never a credential). */
export async function connectSharedRedis(config: RedisConfig, logger: Logger, password?: SecretSource): Promise<SharedRedis> {
  const client = createSharedRedis(config, password);
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

/**
 * A Lua script run by EVALSHA, falling back to EVAL when the server does not know it yet
 * (after a restart or a failover): its text crosses the wire once per server, not once
 * per call.
 */
export function luaScript(client: SharedRedis, source: string): (keys: string[], args: string[]) => Promise<unknown> {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (keys, args) => {
    try {
      return await client.evalSha(sha, { keys, arguments: args });
    } catch (err) {
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
      return client.eval(source, { keys, arguments: args });
    }
  };
}
