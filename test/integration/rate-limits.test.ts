import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { createClient } from 'redis';
import type { CookieJar } from 'tough-cookie';
import { createRateLimits } from '../../src/limits/rate-limits.js';
import type { RedisClient } from '../../src/session/index.js';
import { recordingLogger } from '../support/fault-server.js';
import { loginThroughIdp } from '../support/oidc-login.js';
import { startRedisServer } from '../support/redis-server.js';
import { redisClient, sessionIdIn } from '../support/session-cookie.js';
import { type BffInstance, type RecordedResponse, type Stack, startStack } from '../support/stack.js';

/**
 * The rate limits of the clients' contract against the real app: two instances sharing
 * a real redis-server (one count for both), then the memory store (one instance, a
 * limit that resets). Clients on different addresses are simulated with
 * `TRUST_PROXY_HOPS=1` and `X-Forwarded-For`; every test uses addresses of its own.
 */

/** A query that costs one catalog call (the shared response cache is off in these stacks). */
const PRODUCT = '{ product(id: "p1") { id } }';
const ME = '{ me { id } }';

const from = (ip: string) => ({ 'x-forwarded-for': ip });
const json = (r: RecordedResponse) => JSON.parse(r.text_) as Record<string, any>;

function expectRateLimited(status: number, headers: Headers, body: unknown, shape: 'graphql' | 'api', maxRetryS: number) {
  expect(status).toBe(429);
  const retryAfter = headers.get('retry-after');
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(maxRetryS);
  if (shape === 'graphql') {
    expect(body).toEqual({ errors: [{ message: expect.stringMatching(/too many requests/i), extensions: { code: 'RATE_LIMITED' } }] });
  } else {
    expect(body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/too many requests/i) } });
  }
}

describe('rate limits on two instances sharing Redis', () => {
  const LIMITS = { session: 5, anonymous: 4, login: 10 };
  let stack: Stack;
  let a: BffInstance;
  let b: BffInstance;
  let redis: RedisClient;
  /** Every /auth/login and /auth/callback from 127.0.0.1 (stack.login) counts against one login limit. */
  let alice: CookieJar;
  let bob: CookieJar;

  beforeAll(async () => {
    stack = await startStack({
      redis: true,
      instances: 2,
      env: {
        RATE_LIMIT_SESSION_PER_MIN: String(LIMITS.session),
        RATE_LIMIT_ANONYMOUS_PER_MIN: String(LIMITS.anonymous),
        RATE_LIMIT_LOGIN_PER_MIN: String(LIMITS.login),
        TRUST_PROXY_HOPS: '1',
        DOWNSTREAM_CACHE_MAX_ENTRIES: '0',
      },
    });
    [a, b] = stack.instances as [BffInstance, BffInstance];
    redis = await redisClient(stack.redisUrl!);
    // Started at A and B, each finished at the instance it started on (2 points of 127.0.0.1's login limit each).
    alice = await stack.login('alice', 'alice', a);
    bob = await stack.login('bob', 'bob', b);
  });
  beforeEach(() => stack.recorder.clear());
  afterAll(async () => {
    await redis?.quit();
    await stack?.close();
  });

  it('counts by the script\'s hash: one short EVALSHA per request, never the script\'s text once Redis knows it', async () => {
    const calls = async () => {
      const stats = String(await redis.info('commandstats'));
      const count = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      return { eval: count('eval'), evalsha: count('evalsha') };
    };
    const before = await calls();
    for (let i = 0; i < 3; i++) await stack.graphql(ME, { jar: alice, instance: i % 2 ? a : b });
    const after = await calls();
    expect(after.evalsha - before.evalsha).toBeGreaterThanOrEqual(3);
    // EVAL is only the fallback of a server that does not know the script yet: the
    // sign-ins above already ran it, so these requests sent no script text at all.
    expect(after.eval - before.eval).toBe(0);
  });

  it('signs in through either instance with the limits on', async () => {
    expect((await stack.graphql(ME, { jar: alice, instance: b })).body.data?.me).toEqual({ id: 'alice' });
    expect((await stack.graphql(ME, { jar: bob, instance: a })).body.data?.me).toEqual({ id: 'bob' });
  });

  it('keeps the short lifetime to the sign-in: the signed-in session lives for the idle timeout, also when it starts another sign-in', async () => {
    const idleMs = a.config.session.idleTimeoutS * 1000;
    const ttl = async () => Number(await redis.pTTL(`shop-bff:sess:${await sessionIdIn(bob, a)}`));
    expect(await ttl()).toBeGreaterThan(idleMs - 60_000);
    const res = await stack.fetch('/auth/login?returnTo=/', { jar: bob, instance: a });
    expect(res.status).toBe(302);
    expect(await ttl()).toBeGreaterThan(idleMs - 60_000);
    // A visitor's sign-in cookie says the same as the store: 10 minutes.
    const anonymous = await stack.fetch('/auth/login?returnTo=/', { instance: a, headers: from('192.0.2.77') });
    const cookie = anonymous.headers.getSetCookie().find((c) => c.startsWith(`${a.config.session.cookieName}=`));
    const expires = Date.parse(/; Expires=([^;]+)/.exec(cookie!)![1]!);
    expect(expires).toBeLessThanOrEqual(Date.now() + 601_000);
    expect(expires).toBeGreaterThan(Date.now() + 500_000);
  });

  it('counts a signed-in session across instances, refuses it past the limit with no downstream call, and leaves other clients alone', async () => {
    const carol = await stack.login('alice', 'alice', b);
    const served: number[] = [];
    for (let i = 0; i < LIMITS.session; i++) {
      const res = await stack.graphql(PRODUCT, { jar: carol, instance: i % 2 === 0 ? a : b });
      served.push(res.status);
    }
    expect(served).toEqual(Array(LIMITS.session).fill(200));
    expect(stack.recorder.forService('catalog')).toHaveLength(LIMITS.session);

    const over = await stack.graphql(PRODUCT, { jar: carol, instance: b });
    expectRateLimited(over.status, over.headers, over.body, 'graphql', 60);
    // Also on the other instance and on /auth/user: one count per session, wherever it goes.
    expect((await stack.graphql(PRODUCT, { jar: carol, instance: a })).status).toBe(429);
    const user = await stack.fetch('/auth/user', { jar: carol, instance: a, headers: { 'x-csrf': '1' } });
    expectRateLimited(user.status, user.headers, json(user), 'api', 60);
    expect(stack.recorder.forService('catalog')).toHaveLength(LIMITS.session);

    // Another session, and anonymous clients, are counted apart.
    expect((await stack.graphql(PRODUCT, { jar: bob, instance: a })).status).toBe(200);
    expect((await stack.graphql(PRODUCT, { instance: b, headers: from('192.0.2.10') })).status).toBe(200);
  });

  it('counts anonymous requests per client address across instances and endpoints', async () => {
    const ip = '198.51.100.7';
    for (let i = 0; i < LIMITS.anonymous; i++) {
      const res =
        i === LIMITS.anonymous - 1
          ? await stack.fetch('/auth/user', { instance: b, headers: { 'x-csrf': '1', ...from(ip) } })
          : await stack.graphql(PRODUCT, { instance: i % 2 === 0 ? a : b, headers: from(ip) });
      expect(res.status).toBe(i === LIMITS.anonymous - 1 ? 401 : 200);
    }
    const calls = stack.recorder.forService('catalog').length;
    const over = await stack.graphql(PRODUCT, { instance: a, headers: from(ip) });
    expectRateLimited(over.status, over.headers, over.body, 'graphql', 60);
    const user = await stack.fetch('/auth/user', { instance: b, headers: { 'x-csrf': '1', ...from(ip) } });
    expectRateLimited(user.status, user.headers, json(user), 'api', 60);
    expect(stack.recorder.forService('catalog')).toHaveLength(calls);

    // Another address, and a signed-in session on the exhausted address, are still served.
    expect((await stack.graphql(PRODUCT, { instance: a, headers: from('198.51.100.8') })).status).toBe(200);
    expect((await stack.graphql(ME, { jar: bob, instance: b, headers: from(ip) })).body.data?.me).toEqual({ id: 'bob' });
  });

  it('counts IPv6 clients per /64 network', async () => {
    for (let i = 0; i < LIMITS.anonymous; i++) {
      expect((await stack.graphql(ME, { instance: a, headers: from(`2001:db8:aa:1::${i + 1}`) })).status).toBe(200);
    }
    expect((await stack.graphql(ME, { instance: b, headers: from('2001:db8:aa:1:ffff::9') })).status).toBe(429);
    expect((await stack.graphql(ME, { instance: b, headers: from('2001:db8:aa:2::1') })).status).toBe(200);
  });

  it('limits sign-ins per address before anything reaches the identity provider', async () => {
    const ip = '203.0.113.20';
    for (let i = 0; i < LIMITS.login; i++) {
      const res = await stack.fetch('/auth/login?returnTo=/', { instance: i % 2 === 0 ? a : b, headers: from(ip) });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toContain(stack.issuer);
    }
    const over = await stack.fetch('/auth/login?returnTo=/', { instance: a, headers: from(ip) });
    expectRateLimited(over.status, over.headers, json(over), 'api', 60);
    expect(over.headers.get('location')).toBeNull();
    expect(over.headers.getSetCookie()).toEqual([]);

    // A real callback, refused from the exhausted address: the code is not redeemed
    // (no token request), so the same callback from another address still signs in.
    const walk = await loginThroughIdp({
      startUrl: `${a.url}/auth/login?returnTo=/after`,
      username: 'alice',
      password: 'alice',
      stopAt: (u) => u.pathname === '/auth/callback',
    });
    const callback = new URL(walk.finalUrl);
    const grants: string[] = [];
    const onGrant = (ctx: { oidc: { params?: { grant_type?: unknown } } }) => grants.push(String(ctx.oidc.params?.grant_type));
    stack.idp.provider.on('grant.success', onGrant);
    try {
      const refused = await stack.fetch(`${callback.pathname}${callback.search}`, { instance: a, jar: walk.jar, headers: from(ip) });
      expectRateLimited(refused.status, refused.headers, json(refused), 'api', 60);
      expect(grants).toEqual([]);
      const served = await stack.fetch(`${callback.pathname}${callback.search}`, { instance: a, jar: walk.jar, headers: from('203.0.113.21') });
      expect(served.status).toBe(302);
      expect(served.headers.get('location')).toBe('/after');
      expect(grants).toEqual(['authorization_code']);
    } finally {
      stack.idp.provider.off('grant.success', onGrant);
    }
  });

  it('never limits back-channel logout, /healthz or /readyz', async () => {
    const ip = '203.0.113.30';
    for (let i = 0; i <= LIMITS.login; i++) await stack.fetch('/auth/login', { headers: from(ip) });
    for (let i = 0; i <= LIMITS.anonymous; i++) await stack.graphql(ME, { headers: from(ip) });
    expect((await stack.fetch('/auth/login', { headers: from(ip) })).status).toBe(429);
    expect((await stack.graphql(ME, { headers: from(ip) })).status).toBe(429);
    for (let i = 0; i < 3; i++) {
      const logout = await stack.fetch('/auth/backchannel-logout', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...from(ip) },
        body: 'logout_token=not-a-token',
      });
      expect(logout.status).toBe(400);
      expect((await stack.fetch('/healthz', { headers: from(ip) })).status).toBe(200);
      expect((await stack.fetch('/readyz', { headers: from(ip) })).status).toBe(200);
    }
  });

  it('keys its counters by what they count, never by a session id or cookie', async () => {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: 'shop-bff:rl:*', COUNT: 1000 })) keys.push(...batch.map(String));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(/^shop-bff:rl:(session|anonymous|login):/);
    expect(keys.some((k) => k.startsWith('shop-bff:rl:session:'))).toBe(true);
    for (const jar of [alice, bob]) {
      const sid = (await sessionIdIn(jar, a))!;
      const cookie = (await jar.getCookies(a.url)).find((c) => c.key === a.config.session.cookieName)!.value;
      for (const key of keys) {
        expect(key.includes(sid)).toBe(false);
        expect(key.includes(cookie)).toBe(false);
      }
    }
    // Each counter expires with its window.
    for (const key of keys) expect(await redis.pTTL(key)).toBeLessThanOrEqual(60_000);
  });

  it('stores nothing lasting for 200 sign-ins that are never finished', async () => {
    const sessionKeys = async () => {
      const found: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: 'shop-bff:sess:*', COUNT: 1000 })) found.push(...batch.map(String));
      return new Set(found);
    };
    const before = await sessionKeys();
    const sizeBefore = Number(await redis.dbSize());
    // No cookie jar, each from an address of its own (so all are under the login limit), 20 at a time.
    for (let batch = 0; batch < 10; batch++) {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stack.fetch('/auth/login?returnTo=/', { instance: i % 2 ? a : b, headers: from(`10.7.${batch}.${i + 1}`) })),
      );
      expect(statuses.map((r) => r.status)).toEqual(Array(20).fill(302));
    }
    const added = [...(await sessionKeys())].filter((k) => !before.has(k));
    // One short-lived entry per sign-in, nothing else (no index, no lasting session)...
    expect(added).toHaveLength(200);
    expect(Number(await redis.dbSize()) - sizeBefore).toBeLessThanOrEqual(200 + 200); // + one login counter per address
    // ...each gone once the sign-in could no longer complete (10 minutes), not after the
    // 30-minute idle timeout of a session.
    for (const key of added) {
      const ttl = await redis.pTTL(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600_000);
    }
  });
});

describe('rate limits on the memory store (one instance)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      rateLimitWindowS: 2,
      env: { RATE_LIMIT_ANONYMOUS_PER_MIN: '3', RATE_LIMIT_SESSION_PER_MIN: '3', TRUST_PROXY_HOPS: '1', DOWNSTREAM_CACHE_MAX_ENTRIES: '0' },
    });
  });
  afterAll(() => stack?.close());

  /** Requests until the first 429 (at most 20); the refusal and how many were served before it. */
  async function exhaust<R extends { status: number }>(send: () => Promise<R>): Promise<{ res: R; served: number }> {
    for (let served = 0; served < 20; served++) {
      const res = await send();
      if (res.status === 429) return { res, served };
      expect(res.status).toBe(200);
    }
    throw new Error('never refused');
  }

  it('refuses past the limit and serves again once the window is over', async () => {
    const send = () => stack.graphql(PRODUCT, { headers: from('192.0.2.50') });
    const { res, served } = await exhaust(send);
    // Paced by count: at least the limit was served (more only if a window ended meanwhile).
    expect(served).toBeGreaterThanOrEqual(3);
    const calls = stack.recorder.forService('catalog').length;
    expectRateLimited(res.status, res.headers, res.body, 'graphql', 2);
    expect(stack.recorder.forService('catalog')).toHaveLength(calls);

    await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after')) * 1000));
    expect((await send()).status).toBe(200);
  });

  it('counts a session apart from its address', async () => {
    const jar = await stack.login('alice');
    const { served } = await exhaust(() => stack.graphql(ME, { jar, headers: from('192.0.2.60') }));
    expect(served).toBeGreaterThanOrEqual(3);
    expect((await stack.graphql(ME, { headers: from('192.0.2.60') })).status).toBe(200);
  });
});

describe('rate limits when Redis goes away', () => {
  it('counts in memory (the insurance limiter) and logs it once, instead of failing or letting everything through', async () => {
    const server = await startRedisServer();
    const client = createClient({ url: server.url, socket: { reconnectStrategy: 50 } }) as RedisClient;
    client.on('error', () => {});
    await client.connect();
    const logs = recordingLogger();
    const limits = createRateLimits({ config: { sessionPerMin: 0, anonymousPerMin: 0, loginPerMin: 2 }, redis: client, logger: logs.logger });
    const app = express();
    app.use('/auth/login', limits.login, (_req, res) => void res.send('ok'));
    const http: Server = createServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/auth/login`;
    try {
      expect((await fetch(url)).status).toBe(200);
      expect(await client.get('shop-bff:rl:login:127.0.0.1')).toBe('1');

      await server.stop();
      // Until the client has noticed (a few ms; up to 15 s, which only a hang reaches).
      for (let i = 0; i < 1500 && client.isReady; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(client.isReady).toBe(false);
      // Counted afresh in this instance's memory, with the same limit.
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(url)).status).toBe(200);
      const refused = await fetch(url);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(logs.lines.filter((l) => /Redis is unreachable/.test(String(l.msg)))).toHaveLength(1);
    } finally {
      await new Promise((resolve) => http.close(resolve));
      client.destroy();
      await server.stop();
    }
  });
});
