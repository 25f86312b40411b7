import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { DEMO } from '../../src/config/index.js';
import type { RedisClient, TokenGeneration } from '../../src/session/index.js';
import { clientAuth, discover } from '../support/oidc-tokens.js';
import { copyJar, redisClient, storedTokens as storedIn } from '../support/session-cookie.js';
import { type BffInstance, type Stack, startStack } from '../support/stack.js';

/**
 * Refreshing the user's access token with two BFF instances sharing one real Redis and
 * the real dev IdP: one call to the token endpoint however many requests (on however
 * many instances) find the token expired, the rotated refresh token always the one
 * stored, and a session that cannot outlive its refresh token. Time moves by the
 * instances' injected clock, never by sleeping.
 */

const ORDERS = /* GraphQL */ `{ me { orders(first: 1) { id } } }`;
/** The dev IdP's access tokens live 300 s; this is past that. */
const PAST_EXPIRY_MS = 301_000;

let stack: Stack;
let redis: RedisClient;
let a: BffInstance;
let b: BffInstance;
/** Token endpoint requests with grant_type=refresh_token, as the IdP counted them. */
const refreshCalls = { ok: 0, failed: 0 };

beforeAll(async () => {
  stack = await startStack({ redis: true, instances: 2 });
  [a, b] = stack.instances as [BffInstance, BffInstance];
  redis = await redisClient(stack.redisUrl!);
  const isRefresh = (ctx: { oidc: { params?: Record<string, unknown> } }) => ctx.oidc.params?.grant_type === 'refresh_token';
  stack.idp.provider.on('grant.success', (ctx) => void (isRefresh(ctx) && refreshCalls.ok++));
  stack.idp.provider.on('grant.error', (ctx) => void (isRefresh(ctx) && refreshCalls.failed++));
});
afterEach(() => {
  stack.clock.reset();
  stack.setIdpDown(false);
});
afterAll(async () => {
  await redis?.quit();
  await stack?.close();
});

const refreshes = () => refreshCalls.ok + refreshCalls.failed;

/** The tokens stored for the jar's session right now, decrypted. */
const storedTokens = (jar: CookieJar): Promise<TokenGeneration> => storedIn(redis, jar, a);

/** The bearer tokens the orders service received since the recorder was cleared. */
const ordersTokens = () => new Set(stack.recorder.forService('orders').map((c) => String(c.headers.authorization)));

/** `n` concurrent GraphQL requests of one browser, alternating between the two instances. */
const spread = (jar: CookieJar, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => stack.graphql(ORDERS, { jar, instance: i % 2 === 0 ? a : b })));

describe('token refresh across instances sharing Redis', () => {
  it('20 parallel GraphQL requests with an expired access token, spread over two instances, make exactly one refresh at the IdP and all 20 succeed', async () => {
    const jar = await stack.login('alice', 'alice', a);
    const before = await storedTokens(jar);
    const callsBefore = refreshes();
    stack.clock.advance(PAST_EXPIRY_MS);
    stack.recorder.clear();

    const results = await spread(jar, 20);

    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data?.me.orders).toHaveLength(1);
    }
    expect(refreshes() - callsBefore).toBe(1);
    // All 20 went downstream with the one new token.
    const after = await storedTokens(jar);
    expect(stack.recorder.forService('orders')).toHaveLength(20);
    expect([...ordersTokens()]).toEqual([`Bearer ${after.tokens.accessToken}`]);
    expect(after.tokens.accessToken).not.toBe(before.tokens.accessToken);
    expect(after.generation).toBe(before.generation + 1);
  });

  it('stores the rotated refresh token and never an older one, so every later refresh succeeds on either instance', async () => {
    const jar = await stack.login('alice', 'alice', b);
    const seen = [(await storedTokens(jar)).tokens.refreshToken];
    const failedBefore = refreshCalls.failed;
    for (let round = 1; round <= 3; round++) {
      const callsBefore = refreshes();
      stack.clock.advance(PAST_EXPIRY_MS);
      const results = await spread(jar, 8);
      expect(results.map((r) => r.body.errors?.[0]?.extensions?.code ?? 'ok')).toEqual(Array(8).fill('ok'));
      expect(refreshes() - callsBefore).toBe(1);
      const now = await storedTokens(jar);
      expect(now.generation).toBe(round);
      expect(seen).not.toContain(now.tokens.refreshToken);
      seen.push(now.tokens.refreshToken);
    }
    // The IdP treats a reused refresh token as theft: none was ever presented twice.
    expect(refreshCalls.failed).toBe(failedBefore);
  });

  it('ends the session on every instance when the refresh fails with invalid_grant (401 / UNAUTHENTICATED)', async () => {
    const jar = await stack.login('bob', 'bob', a);
    const otherTab = await copyJar(jar);
    const thirdTab = await copyJar(jar);
    const { tokens } = await storedTokens(jar);
    // The grant is revoked at the IdP (an admin, or the user elsewhere).
    const disc = await discover(stack.issuer);
    const revoked = await fetch(disc.revocation_endpoint, {
      method: 'POST',
      ...clientAuth({ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret }, { token: tokens.refreshToken!, token_type_hint: 'refresh_token' }),
    });
    expect(revoked.status).toBe(200);
    stack.clock.advance(PAST_EXPIRY_MS);

    const res = await stack.graphql(ORDERS, { jar, instance: b });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.headers.getSetCookie().join()).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('location')).toBeNull();
    // The same cookie, from another tab, on the other instance: gone there too.
    const user = await stack.fetch('/auth/user', { jar: otherTab, instance: a, headers: { 'x-csrf': '1' } });
    expect(user.status).toBe(401);
    expect(JSON.parse(user.text_)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    // That answer cleared the cookie; a third copy of it is anonymous on GraphQL too.
    const again = await stack.graphql(ORDERS, { jar: await copyJar(thirdTab), instance: a });
    expect(again.body.data?.me).toBeNull();
  });

  it('keeps the session when the IdP cannot refresh, and says the IdP is unavailable', async () => {
    const jar = await stack.login('bob', 'bob', a);
    stack.clock.advance(PAST_EXPIRY_MS);
    stack.setIdpDown(true);
    const results = await spread(jar, 4);
    for (const r of results) {
      expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'DOWNSTREAM_UNAVAILABLE', service: 'identity-provider' });
      expect(r.headers.getSetCookie().join()).not.toMatch(/Expires=Thu, 01 Jan 1970/);
    }
    stack.setIdpDown(false);
    const user = await stack.fetch('/auth/user', { jar, instance: b, headers: { 'x-csrf': '1' } });
    expect(user.status).toBe(200);
    const retry = await stack.graphql(ORDERS, { jar, instance: b });
    expect(retry.body.errors).toBeUndefined();
  });
});
