import type { RedisClientType } from '@redis/client';
import { luaScript, type SharedRedis } from './redis-connection.js';
import type { SharedState } from './shared-state.js';

/**
 * A connected node-redis v5 client of one server, whatever modules, functions, scripts
 * or RESP version it was created with (`createClient(...)` and a bare `RedisClientType`
 * both fit). `SharedRedis` adds a cluster and Sentinel.
 */
export type RedisClient = RedisClientType<any, any, any, any, any>;

export interface RedisStateOptions {
  /** Put in front of every key, so several apps can share one Redis. Default `shop-bff:`. */
  readonly namespace?: string;
}

// Compare-and-set: ARGV[1] is '1' when a current value is expected (ARGV[2]), '0' when
// the key must not exist. GET of a missing key is `false` in Lua.
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1`;

const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * `SharedState` on Redis: what every instance sharing the Redis sees alike. The two
 * conditional writes are Lua scripts, so each is atomic on the server (Redis 7 has no
 * `SET … IFEQ`); everything else is one plain command. Scripts are run by SHA and sent
 * in full only when Redis does not know them yet (after a restart or a failover).
 */
export function createRedisState(client: SharedRedis, opts: RedisStateOptions = {}): SharedState {
  const ns = opts.namespace ?? 'shop-bff:';
  const k = (key: string) => `${ns}${key}`;
  const compareAndSet = luaScript(client, COMPARE_AND_SET);
  const deleteIfEquals = luaScript(client, DELETE_IF_EQUALS);
  const ms = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs));

  return {
    get: async (key) => ((await client.get(k(key))) as string | null) ?? null,
    ttlMs: async (key) => {
      const t = Number(await client.pTTL(k(key)));
      // -2: no such key; -1: no expiry (never written so by this module).
      return t === -2 ? null : t === -1 ? Number.POSITIVE_INFINITY : t;
    },
    set: async (key, value, ttlMs) => {
      if (ttlMs <= 0) await client.del(k(key));
      else await client.set(k(key), value, { expiration: { type: 'PX', value: ms(ttlMs) } });
    },
    compareAndSet: async (key, expected, value, ttlMs) =>
      Number(await compareAndSet([k(key)], [expected === null ? '0' : '1', expected ?? '', value, String(ms(ttlMs))])) === 1,
    setIfAbsent: async (key, value, ttlMs) =>
      (await client.set(k(key), value, { expiration: { type: 'PX', value: ms(ttlMs) }, condition: 'NX' })) === 'OK',
    deleteIfEquals: async (key, value) => Number(await deleteIfEquals([k(key)], [value])) === 1,
    expire: async (key, ttlMs) => {
      await client.pExpire(k(key), ms(ttlMs));
    },
    addToSet: async (key, member, ttlMs) => {
      await client.multi().sAdd(k(key), member).pExpire(k(key), ms(ttlMs)).exec();
    },
    removeFromSet: async (key, member) => {
      await client.sRem(k(key), member);
    },
    members: async (key) => (await client.sMembers(k(key))) as string[],
  };
}

