import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/index.js';
import { readRedis } from '../../../src/config/redis.js';
import { problemsOf } from '../../support/config-problems.js';
import { PRODUCTION_ENV as PRODUCTION } from '../../support/production-env.js';

const read = (env: Record<string, string>) => {
  const problems: string[] = [];
  return { redis: readRedis(env, problems), problems };
};

describe('where the shared state lives', () => {
  it('is one Redis, a Redis Cluster or a primary behind Sentinel', () => {
    expect(read({ REDIS_URL: 'rediss://cache:6380' })).toEqual({ redis: { kind: 'single', url: 'rediss://cache:6380' }, problems: [] });
    expect(read({ REDIS_CLUSTER_NODES: 'redis://n1:7000, redis://n2:7000' })).toEqual({
      redis: { kind: 'cluster', nodes: ['redis://n1:7000', 'redis://n2:7000'] },
      problems: [],
    });
    expect(read({ REDIS_SENTINELS: 'redis://s1:26379,redis://s2:26379', REDIS_SENTINEL_NAME: 'shop' })).toEqual({
      redis: { kind: 'sentinel', name: 'shop', sentinels: ['redis://s1:26379', 'redis://s2:26379'] },
      problems: [],
    });
    expect(read({})).toEqual({ redis: undefined, problems: [] });
  });

  it('names each bad setting', () => {
    expect(read({ REDIS_URL: 'cache:6379' }).problems).toEqual(['REDIS_URL: must be a redis:// or rediss:// URL']);
    expect(read({ REDIS_CLUSTER_NODES: 'redis://n1:7000,http://n2' }).problems).toEqual(['REDIS_CLUSTER_NODES: must be comma-separated redis:// or rediss:// URLs']);
    expect(read({ REDIS_SENTINELS: 'redis://s1:26379' }).problems).toEqual([
      'REDIS_SENTINEL_NAME is required with REDIS_SENTINELS (the name the sentinels monitor the primary by)',
    ]);
    expect(read({ REDIS_SENTINEL_NAME: 'shop' }).problems).toEqual(['REDIS_SENTINEL_NAME is set without REDIS_SENTINELS']);
  });

  it('takes only one of them', () => {
    const { redis, problems } = read({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'redis://n1:7000' });
    expect(redis).toBeUndefined();
    expect(problems).toEqual(['REDIS_URL and REDIS_CLUSTER_NODES are all set: give only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS']);
  });

  it('satisfies production with a cluster or Sentinel in place of REDIS_URL', () => {
    const { REDIS_URL: _url, ...withoutUrl } = PRODUCTION;
    expect(loadConfig({ ...withoutUrl, REDIS_CLUSTER_NODES: 'rediss://n1:7000' }).session.redis).toEqual({ kind: 'cluster', nodes: ['rediss://n1:7000'] });
    expect(loadConfig({ ...withoutUrl, REDIS_SENTINELS: 'rediss://s1:26379', REDIS_SENTINEL_NAME: 'shop' }).session.redis).toMatchObject({ kind: 'sentinel' });
    expect(problemsOf(withoutUrl).some((p) => p.includes('REDIS_URL'))).toBe(true);
  });
});
