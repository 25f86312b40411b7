import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CookieJar } from 'tough-cookie';
import { DEMO } from '../../src/config/index.js';
import type { RedisClient } from '../../src/session/index.js';
import { loginThroughIdp, type RecordedResponse as WalkResponse } from '../support/oidc-login.js';
import { discover, tokenRequest } from '../support/oidc-tokens.js';
import { copyJar, redisClient, sessionIdIn, sessionKey, storedSession, storedTokens } from '../support/session-cookie.js';
import { type BffInstance, type RecordedResponse, type Stack, startStack } from '../support/stack.js';

/**
 * A session's life in the real app, from the browser's side: its id, its cookie, its
 * idle and absolute ends (moved by the instances' injected clock, no sleeping), polling
 * without sliding, and what happens to cookies that name no live session. The first
 * part runs on the memory store (whose expiry follows the injected clock); the second on
 * two instances sharing a real Redis.
 */

const IDLE_S = 600;
const ABSOLUTE_S = 1500;
const CLEARED = /Expires=Thu, 01 Jan 1970/;

const user = (stack: Stack, jar: CookieJar, opts: { instance?: BffInstance; query?: string } = {}) =>
  stack.fetch(`/auth/user${opts.query ?? ''}`, { jar, instance: opts.instance, headers: { 'x-csrf': '1' } });
const body = (r: RecordedResponse) => JSON.parse(r.text_) as { sessionExpiresAt: string; logoutUrl: string };
const cookiesOf = (r: { headers: Headers }, name: string) => r.headers.getSetCookie().filter((c) => c.startsWith(`${name}=`));

describe('sessions on one instance (memory store, injected clock)', () => {
  let stack: Stack;
  let name: string;
  const sid = (jar: CookieJar) => sessionIdIn(jar, stack.bff);
  /** An anonymous 401 that also tells the browser to drop the cookie, not to be cached. */
  const anonymousAndCleared = (res: RecordedResponse) => {
    expect(res.status).toBe(401);
    expect(cookiesOf(res, name)).toEqual([expect.stringMatching(CLEARED)]);
    expect(res.headers.get('cache-control')).toBe('no-store');
  };

  beforeAll(async () => {
    stack = await startStack({ env: { SESSION_IDLE_TIMEOUT_S: String(IDLE_S), SESSION_ABSOLUTE_TIMEOUT_S: String(ABSOLUTE_S) } });
    name = stack.bff.config.session.cookieName;
  });
  afterEach(() => stack.clock.reset());
  afterAll(() => stack?.close());

  it('gives each session an opaque id with at least 128 bits of entropy', async () => {
    const ids = await Promise.all([1, 2, 3].map(async () => (await sid(await stack.login('alice')))!));
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) {
      expect(id).toMatch(/^[\w-]+$/);
      expect(Buffer.from(id, 'base64url').length).toBeGreaterThanOrEqual(16);
      expect(id).not.toContain('alice');
    }
  });

  it('replaces an earlier session at login: a new id, and the old cookie is worthless', async () => {
    const jar = await stack.login('alice');
    const before = await copyJar(jar);
    const oldId = await sid(jar);
    // Signing in again in the same browser (the IdP session is still there).
    await loginThroughIdp({ startUrl: `${stack.bff.url}/auth/login?returnTo=/`, username: 'alice', password: 'alice', jar });
    expect(await sid(jar)).not.toBe(oldId);
    expect((await user(stack, jar)).status).toBe(200);
    anonymousAndCleared(await user(stack, before));
  });

  it('does not keep a cookie set before login (session fixation)', async () => {
    const jar = new CookieJar();
    await stack.fetch('/auth/login?returnTo=/', { jar });
    const planted = await copyJar(jar);
    const plantedId = await sid(jar);
    expect(plantedId).toBeDefined();
    const walk = await loginThroughIdp({ startUrl: `${stack.bff.url}/auth/login?returnTo=/`, username: 'bob', password: 'bob', jar });
    expect(walk.finalUrl).toBe(`${stack.bff.url}/`);
    expect(await sid(jar)).not.toBe(plantedId);
    // Whoever planted the first cookie holds nothing.
    anonymousAndCleared(await user(stack, planted));
  });

  it.each([
    ['a forged signature', (id: string) => `s:${id}.${'x'.repeat(43)}`],
    ['a tampered signature', (_id: string, raw: string) => raw.slice(0, -1) + (raw.endsWith('A') ? 'B' : 'A')],
    ['an unsigned id', (id: string) => id],
    ['an unknown id', () => `s:${'u'.repeat(43)}.${'x'.repeat(43)}`],
  ])('treats a cookie with %s as anonymous and clears it', async (_what, make) => {
    const jar = await stack.login('alice');
    const cookie = (await jar.getCookies(stack.bff.url)).find((c) => c.key === name)!;
    const forged = new CookieJar();
    await forged.setCookie(`${name}=${encodeURIComponent(make((await sid(jar))!, decodeURIComponent(cookie.value)))}; Path=/`, stack.bff.url);
    anonymousAndCleared(await user(stack, forged));
    expect((await sid(forged)) ?? 'gone').toBe('gone');
    const gql = await stack.graphql('{ me { id } }', { jar: await copyJar(jar) });
    expect(gql.body.data?.me).toEqual({ id: 'alice' });
  });

  it('ends a session left idle for SESSION_IDLE_TIMEOUT_S', async () => {
    const jar = await stack.login('alice');
    stack.clock.advance((IDLE_S - 1) * 1000);
    const idle = await copyJar(jar);
    stack.clock.advance(2000);
    anonymousAndCleared(await user(stack, idle));
    expect((await stack.graphql('{ me { id } }', { jar })).body.data?.me).toBeNull();
  });

  it('slides the idle timeout with activity', async () => {
    const jar = await stack.login('alice');
    // 900 s in all, 450 s apart: past the 600 s idle window, and alive throughout.
    for (let i = 0; i < 2; i++) {
      stack.clock.advance(450_000);
      const res = await user(stack, jar);
      expect(res.status).toBe(200);
      expect(Date.parse(body(res).sessionExpiresAt)).toBeGreaterThan(stack.clock.now() + (IDLE_S - 5) * 1000);
    }
  });

  it('ends a session at SESSION_ABSOLUTE_TIMEOUT_S however active it is', async () => {
    const jar = await stack.login('bob');
    const loginAt = stack.clock.now();
    for (let i = 0; i < 5; i++) {
      stack.clock.advance(290_000);
      const res = await user(stack, jar);
      expect(res.status).toBe(200);
      expect(Date.parse(body(res).sessionExpiresAt)).toBeLessThanOrEqual(loginAt + ABSOLUTE_S * 1000 + 1000);
    }
    stack.clock.advance((ABSOLUTE_S - 5 * 290) * 1000 + 1000);
    anonymousAndCleared(await user(stack, jar));
  });

  it('polls /auth/user?slide=false without sliding the idle timeout', async () => {
    // The session starts somewhere during the sign-in: between these two, however long it takes.
    const signInStarted = stack.clock.now();
    const jar = await stack.login('alice');
    const loginAt = stack.clock.now();
    stack.clock.advance(300_000);
    const polls: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await user(stack, jar, { query: '?slide=false' });
      expect(res.status).toBe(200);
      // Neither a re-sent cookie nor (below) a pushed store expiry.
      expect(cookiesOf(res, name)).toEqual([]);
      polls.push(Date.parse(body(res).sessionExpiresAt));
      stack.clock.advance(100_000);
    }
    for (const p of polls) {
      expect(p).toBeGreaterThan(signInStarted + IDLE_S * 1000 - 2000);
      expect(p).toBeLessThan(loginAt + IDLE_S * 1000 + 2000);
    }
    // 600 s after login, still unused: gone, however often it was polled.
    stack.clock.advance((IDLE_S - 600) * 1000 + 1000);
    anonymousAndCleared(await user(stack, jar, { query: '?slide=false' }));
  });

  it('marks every response that sets or clears the session cookie Cache-Control: no-store', async () => {
    const responses: Array<WalkResponse | RecordedResponse> = [];
    const jar = new CookieJar();
    const walk = await loginThroughIdp({ startUrl: `${stack.bff.url}/auth/login?returnTo=/`, username: 'alice', password: 'alice', jar });
    responses.push(...walk.responses.filter((r) => r.url.startsWith(stack.bff.url)));
    responses.push(await user(stack, jar));
    responses.push(await stack.fetch('/graphql', { method: 'POST', jar, headers: { 'content-type': 'application/json', origin: stack.bff.url }, body: '{"query":"{ me { id } }"}' }));
    responses.push(await stack.fetch('/no-such-page', { jar }));
    const stale = await copyJar(jar);
    responses.push(await stack.fetch(body(await user(stack, jar)).logoutUrl, { jar }));
    responses.push(await stack.fetch('/graphql', { method: 'POST', jar: stale, headers: { 'content-type': 'application/json', origin: stack.bff.url }, body: '{"query":"{ me { id } }"}' }));

    const setting = responses.filter((r) => cookiesOf(r, name).length > 0);
    // Set at /auth/login, re-set at the callback, slid by /auth/user, GraphQL and the 404,
    // cleared by the logout and by GraphQL for the ended session.
    expect(setting.length).toBeGreaterThanOrEqual(7);
    expect(setting.filter((r) => cookiesOf(r, name).some((c) => CLEARED.test(c)))).toHaveLength(2);
    for (const r of setting) expect(r.headers.get('cache-control')).toBe('no-store');
  });
});

describe('sessions on two instances sharing Redis', () => {
  let stack: Stack;
  let redis: RedisClient;
  let a: BffInstance;
  let b: BffInstance;
  let name: string;
  const key = (jar: CookieJar) => sessionKey(jar, a);

  beforeAll(async () => {
    stack = await startStack({ redis: true, instances: 2 });
    [a, b] = stack.instances as [BffInstance, BffInstance];
    name = a.config.session.cookieName;
    redis = await redisClient(stack.redisUrl!);
  });
  afterEach(() => stack.clock.reset());
  afterAll(async () => {
    await redis?.quit();
    await stack?.close();
  });

  it('keeps the session in Redis for its idle window, pushed forward by use, but not by slide=false polls', async () => {
    const jar = await stack.login('alice', 'alice', a);
    const idleMs = a.config.session.idleTimeoutS * 1000;
    const ttl = async () => Number(await redis.pTTL(await key(jar)));
    expect(await ttl()).toBeGreaterThan(idleMs - 5000);
    // Shorten it, then poll without sliding on B: untouched.
    await redis.pExpire(await key(jar), 60_000);
    stack.clock.advance(idleMs / 5);
    expect((await user(stack, jar, { instance: b, query: '?slide=false' })).status).toBe(200);
    expect(await ttl()).toBeLessThanOrEqual(60_000);
    // A real request (past the touch throttle) slides it back to the full window.
    expect((await user(stack, jar, { instance: b })).status).toBe(200);
    expect(await ttl()).toBeGreaterThan(idleMs - 5000);
  });

  it('ends a session whose stored tokens were tampered with: anonymous, cleared, nothing crashes', async () => {
    const jar = await stack.login('bob', 'bob', a);
    const k = await key(jar);
    const s = await storedSession(redis, jar, a);
    const blob = s.auth.tokens;
    s.auth.tokens = blob.slice(0, -4) + (blob.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await redis.set(k, JSON.stringify(s), { expiration: { type: 'PX', value: 600_000 } });
    const other = await copyJar(jar);

    // Not even GraphQL's viewer, which needs no token, sees the user any more.
    const gql = await stack.graphql('{ me { id } }', { jar: other, instance: a });
    expect(gql.status).toBe(200);
    expect(gql.body).toEqual({ data: { me: null } });
    expect(cookiesOf(gql, name)).toEqual([expect.stringMatching(CLEARED)]);
    expect(await redis.get(k)).toBe('ended');
    const res = await user(stack, jar, { instance: b });
    expect(res.status).toBe(401);
    expect(stack.logLines.some((l) => l.includes('stored tokens cannot be decrypted'))).toBe(true);
  });

  it('a logout on instance A ends the session on instance B: store entry, cookie, refresh token', async () => {
    const jar = await stack.login('alice', 'alice', a);
    const onB = await copyJar(jar);
    expect((await user(stack, onB, { instance: b })).status).toBe(200);
    const { tokens } = await storedTokens(redis, jar, a);

    const logout = await stack.fetch(body(await user(stack, jar, { instance: a })).logoutUrl, { jar, instance: a });
    expect(logout.status).toBe(302);
    const location = new URL(logout.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${stack.issuer}/session/end`);
    expect(location.searchParams.get('id_token_hint')).toBe(tokens.idToken);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${a.url}/`);
    expect(cookiesOf(logout, name)).toEqual([expect.stringMatching(CLEARED)]);
    // Revoked at the IdP: the refresh token is worthless too.
    const refresh = await tokenRequest(await discover(stack.issuer), { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret }, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refreshToken!,
    });
    expect(refresh.body.error).toBe('invalid_grant');

    expect(await redis.get(await key(onB))).toBe('ended');
    const onBAfter = await user(stack, onB, { instance: b });
    expect(onBAfter.status).toBe(401);
    expect((await stack.graphql('{ me { id } }', { jar: await copyJar(jar), instance: b })).body.data?.me).toBeNull();
  });

  it('changes nothing on any instance for a logout with a wrong or missing sid', async () => {
    const jar = await stack.login('bob', 'bob', b);
    const id = (await sessionIdIn(jar, a))!;
    for (const path of ['/auth/logout', '/auth/logout?sid=wrong', `/auth/logout?sid=${id}`]) {
      const res = await stack.fetch(path, { jar, instance: a });
      expect(res.status).toBe(400);
      expect(cookiesOf(res, name).join()).not.toMatch(CLEARED);
    }
    expect((await user(stack, jar, { instance: a })).status).toBe(200);
    expect((await user(stack, jar, { instance: b })).status).toBe(200);
  });
});
