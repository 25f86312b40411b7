import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { countRefreshes } from '../support/idp-refreshes.js';
import { logoutThroughIdp } from '../support/oidc-login.js';
import { sessionIdIn } from '../support/session-cookie.js';
import { expectOneRefreshFor20ParallelRequests, expectSignedIn as signedIn, ME } from '../support/shared-sessions.js';
import { type BffInstance, type Stack, startStack } from '../support/stack.js';

/**
 * The BFF on a real three-primary Redis Cluster (`REDIS_CLUSTER_NODES`, started by the
 * test with `redis-cli --cluster create`): sessions, the refresh lock and its
 * compare-and-set, the sid/sub index of back-channel logout and the rate limits all run
 * where a key's slot lives, for two instances sharing only the cluster and
 * `SESSION_SECRET`.
 */

const run = promisify(execFile);

let stack: Stack;
let a: BffInstance;
let b: BffInstance;
let refreshes: () => number;

beforeAll(async () => {
  stack = await startStack({
    redis: 'cluster',
    instances: 2,
    env: { SESSION_ENCRYPTION_KEY: '', RATE_LIMIT_SESSION_PER_MIN: '30' },
  });
  [a, b] = stack.instances as [BffInstance, BffInstance];
  refreshes = countRefreshes(stack);
});
afterAll(() => stack?.close());

/** `redis-cli -c` against the first node: follows MOVED to whichever primary holds the key. */
const cli = async (...args: string[]) =>
  (await run('redis-cli', ['-c', '-h', '127.0.0.1', '-p', String(stack.redisCluster!.nodes[0]!.port), ...args])).stdout.trim();

describe('on a Redis Cluster', () => {
  it('stores the session in the cluster, and both instances serve it', async () => {
    expect(a.config.session.redis).toMatchObject({ kind: 'cluster' });
    const jar = await stack.login('alice', 'alice', a);
    const key = `shop-bff:sess:${await sessionIdIn(jar, a)}`;
    expect(await cli('exists', key)).toBe('1');
    signedIn(await stack.graphql(ME, { jar, instance: b }));
    const bob = await stack.login('bob', 'bob', b);
    signedIn(await stack.graphql(ME, { jar: bob, instance: a }), 'bob');
  });

  it('makes one refresh for 20 parallel requests with an expired token over both instances, and all 20 succeed', async () => {
    await expectOneRefreshFor20ParallelRequests(stack, [a, b], refreshes);
  });

  it('ends every session of a back-channel logout on both instances (the sid/sub index)', async () => {
    const jar = await stack.login('bob', 'bob', a);
    signedIn(await stack.graphql(ME, { jar, instance: b }), 'bob');
    // The IdP's own back-channel logout, as when the user signs out at the IdP.
    await logoutThroughIdp({ startUrl: `${stack.issuer}/session/end`, jar });
    for (const instance of [a, b]) {
      const r = await stack.graphql(ME, { jar, instance });
      expect({ status: r.status, me: r.body.data?.me }).toEqual({ status: 200, me: null });
    }
  });

  it('counts a session’s rate limit across both instances', async () => {
    const jar = await stack.login('alice', 'alice', a);
    const statuses: number[] = [];
    for (let i = 0; i < 40 && !statuses.includes(429); i++) statuses.push((await stack.graphql(ME, { jar, instance: i % 2 ? b : a })).status);
    // 30 a minute for the session, counted in the cluster whatever instance answered.
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.at(-1)).toBe(429);
  });

  it('lets no secret or token out', () => {
    expect(stack.leaks()).toEqual([]);
  });
});
