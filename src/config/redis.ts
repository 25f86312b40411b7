import type { Env } from './env-helpers.js';

/**
 * Where the shared state (sessions, the sid/sub index, refresh locks, rate limits) lives:
 * one Redis (`REDIS_URL`), a Redis Cluster (`REDIS_CLUSTER_NODES`) or a Redis behind
 * Sentinel (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`). Exactly one may be given.
 * Credentials and TLS travel in the URLs (`rediss://user:password@host:port`).
 */
export type RedisConfig =
  /** One Redis server (`REDIS_URL`). */
  | { readonly kind: 'single'; readonly url: string }
  /**
   * A Redis Cluster (`REDIS_CLUSTER_NODES`, comma-separated URLs of some of its nodes; the
   * rest are discovered). The first URL's credentials and TLS apply to every node.
   */
  | { readonly kind: 'cluster'; readonly nodes: readonly string[] }
  /**
   * A primary found through Sentinel (`REDIS_SENTINELS`, comma-separated URLs of the
   * sentinels, and `REDIS_SENTINEL_NAME`, the name they monitor it by). The first URL's
   * credentials and TLS apply to the sentinels and to the primary and replicas.
   */
  | { readonly kind: 'sentinel'; readonly name: string; readonly sentinels: readonly string[] };

const REDIS_URL = /^rediss?:\/\/./;

/** The URLs of a comma-separated setting, each checked; problems name the setting. */
function urls(env: Env, name: string, problems: string[]): string[] | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((u) => !REDIS_URL.test(u) || !URL.canParse(u));
  if (list.length === 0 || bad.length > 0) {
    problems.push(`${name}: must be comma-separated redis:// or rediss:// URLs`);
    return undefined;
  }
  return list;
}

/** Reads the Redis settings; every problem is added to `problems`. Undefined: none given (the memory store). */
export function readRedis(env: Env, problems: string[]): RedisConfig | undefined {
  const url = env.REDIS_URL?.trim() || undefined;
  if (url !== undefined && !(REDIS_URL.test(url) && URL.canParse(url))) problems.push('REDIS_URL: must be a redis:// or rediss:// URL');
  const nodes = urls(env, 'REDIS_CLUSTER_NODES', problems);
  const sentinels = urls(env, 'REDIS_SENTINELS', problems);
  const name = env.REDIS_SENTINEL_NAME?.trim() || undefined;
  const given = [url && 'REDIS_URL', env.REDIS_CLUSTER_NODES?.trim() && 'REDIS_CLUSTER_NODES', env.REDIS_SENTINELS?.trim() && 'REDIS_SENTINELS'].filter(Boolean);
  if (given.length > 1) {
    problems.push(`${given.join(' and ')} are all set: give only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS`);
    return undefined;
  }
  if (env.REDIS_SENTINELS?.trim() && !name) problems.push('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS (the name the sentinels monitor the primary by)');
  if (name && !env.REDIS_SENTINELS?.trim()) problems.push('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS');
  if (url && REDIS_URL.test(url)) return { kind: 'single', url };
  if (nodes) return { kind: 'cluster', nodes };
  if (sentinels && name) return { kind: 'sentinel', name, sentinels };
  return undefined;
}
