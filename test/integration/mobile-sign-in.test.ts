import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { SessionData } from 'express-session';
import type { CookieJar } from 'tough-cookie';
import { sessionIdOfHandle } from '../../src/auth/mobile/session-handle.js';
import { DEMO } from '../../src/config/index.js';
import { staticSecret } from '../../src/secrets/index.js';
import { createTokenCrypto, type RedisClient } from '../../src/session/index.js';
import { loginThroughIdp, logoutThroughIdp } from '../support/oidc-login.js';
import { discover, tokenRequest } from '../support/oidc-tokens.js';
import { redisClient } from '../support/session-cookie.js';
import { type BffInstance, SESSION_ENCRYPTION_KEY, SESSION_SECRET, type Stack, startStack } from '../support/stack.js';

/**
 * The native-app sign-in of contracts/mobile-sign-in.md, driven as an app drives it: the
 * system browser (a cookie jar of its own) walks `/auth/mobile/login` and the dev IdP's
 * login form until the BFF redirects to the app's claimed link; the app itself is a
 * fetch client with no cookie jar that redeems the code and sends its handle as
 * `Authorization: Bearer`. First on two instances sharing a real Redis (sign in at A,
 * redeem at B), then on one instance with the memory store, whose expiry follows the
 * injected clock (timeouts, code expiry, rate limits).
 */

const IOS = { id: 'shop-ios', returnUrl: 'https://shop.example.com/ios/signed-in' };
const ANDROID = { id: 'shop-android', returnUrl: 'https://shop.example.com/android/signed-in' };
const MOBILE_APPS = `${IOS.id}=${IOS.returnUrl},${ANDROID.id}=${ANDROID.returnUrl}`;
const DASHBOARD = readFileSync(new URL('../../client/operations/Dashboard.graphql', import.meta.url), 'utf8');

interface Pkce {
  verifier: string;
  challenge: string;
}
const pkce = (): Pkce => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

const loginUrl = (instance: BffInstance, params: Record<string, string>) =>
  `${instance.url}/auth/mobile/login?${new URLSearchParams(params).toString()}`;

interface AppSignIn extends Pkce {
  code: string;
  app: string;
  /** The system browser's cookies (its session at the IdP). */
  jar: CookieJar;
}

/** Signs in through the "system browser" as `user` for `app`; returns the code the app's link received. */
async function browserSignIn(instance: BffInstance, user: string, app = IOS): Promise<AppSignIn> {
  const p = pkce();
  const state = randomBytes(12).toString('base64url');
  const walk = await loginThroughIdp({
    startUrl: loginUrl(instance, { app: app.id, code_challenge: p.challenge, code_challenge_method: 'S256', state }),
    username: user,
    password: user,
  });
  // The walk stops at the first redirect off loopback: the app's claimed link.
  const landed = new URL(walk.finalUrl);
  expect(`${landed.origin}${landed.pathname}`).toBe(app.returnUrl);
  expect(landed.searchParams.get('state')).toBe(state);
  const code = landed.searchParams.get('code');
  expect(code).toMatch(/^[\w-]{43}$/);
  // The callback leaves the system browser without a session: no live cookie is set.
  const callback = walk.responses.find((r) => new URL(r.url).pathname === '/auth/callback')!;
  expect(callback.status).toBe(302);
  for (const c of callback.headers.getSetCookie()) expect(c).toMatch(/Expires=Thu, 01 Jan 1970/);
  return { ...p, code: code!, app: app.id, jar: walk.jar };
}

/** The app's token request, with plain fetch: no jar, no Origin. */
async function redeem(instance: BffInstance, body: unknown, raw?: string) {
  const res = await fetch(`${instance.url}/auth/mobile/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

const signInAndRedeem = async (stack: Stack, at: BffInstance, redeemAt: BffInstance, user: string) => {
  const s = await browserSignIn(at, user);
  const res = await redeem(redeemAt, { app: s.app, code: s.code, code_verifier: s.verifier });
  expect(res.status).toBe(200);
  const handle = res.body.sessionToken as string;
  stack.watchForLeak(handle);
  return { handle, expiresAt: res.body.expiresAt as string };
};

const bearer = (handle: string) => ({ authorization: `Bearer ${handle}` });

/** The app's calls: the stack's fetch (responses recorded for the leak check) without a jar. */
const appUser = (stack: Stack, handle: string, instance?: BffInstance, query = '') =>
  stack.fetch(`/auth/user${query}`, { headers: bearer(handle), ...(instance ? { instance } : {}) });
const appGraphql = (stack: Stack, handle: string, instance?: BffInstance) =>
  stack.fetch('/graphql', {
    method: 'POST',
    headers: { ...bearer(handle), 'content-type': 'application/json' },
    body: JSON.stringify({ query: DASHBOARD }),
    ...(instance ? { instance } : {}),
  });
const appLogout = (stack: Stack, handle: string, instance?: BffInstance) =>
  stack.fetch('/auth/mobile/logout', { method: 'POST', headers: bearer(handle), ...(instance ? { instance } : {}) });

/** `s:<id>.<signature>` as express-session signs a session id (cookie-signature). */
const signedCookie = (id: string) =>
  `s:${id}.${createHmac('sha256', SESSION_SECRET).update(id).digest('base64').replace(/=+$/, '')}`;

const expectInvalidGrant = (res: { status: number; body: Record<string, any> }) => {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ error: { code: 'invalid_grant', message: expect.any(String) } });
};

describe('two instances sharing Redis', () => {
  let stack: Stack;
  let a: BffInstance;
  let b: BffInstance;
  let redis: RedisClient;

  beforeAll(async () => {
    stack = await startStack({ redis: true, instances: 2, env: { MOBILE_APPS } });
    [a, b] = stack.instances as [BffInstance, BffInstance];
    redis = await redisClient(stack.redisUrl!);
  });
  afterAll(async () => {
    await redis?.quit();
    await stack?.close();
  });

  it('signs in at A, redeems at B, reads the dashboard and the user with the handle, signs out', async () => {
    const { handle, expiresAt } = await signInAndRedeem(stack, a, b, 'alice');
    expect(handle).toMatch(/^[\w-]{43}$/);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());

    const dash = await appGraphql(stack, handle, a);
    expect(dash.status).toBe(200);
    const body = JSON.parse(dash.text_);
    expect(body.errors).toBeUndefined();
    expect(body.data.me.id).toBe('alice');
    expect(body.data.me.orders.length).toBeGreaterThan(0);
    expect(dash.headers.getSetCookie()).toEqual([]);

    // No X-CSRF header: a request with a handle carries no cookie to ride on.
    const user = await appUser(stack, handle, b);
    expect(user.status).toBe(200);
    expect(JSON.parse(user.text_)).toMatchObject({ sub: 'alice', sessionExpiresAt: expect.any(String), logoutUrl: '/auth/mobile/logout' });
    expect(user.headers.getSetCookie()).toEqual([]);

    const out = await appLogout(stack, handle, b);
    expect(out.status).toBe(204);
    for (const instance of [a, b]) {
      expect((await appUser(stack, handle, instance)).status).toBe(401);
      const after = await appGraphql(stack, handle, instance);
      expect(after.status).toBe(401);
      expect(JSON.parse(after.text_).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    expect((await appLogout(stack, handle, a)).status).toBe(401);
  });

  it('stores the session under a one-way id of the handle, recording its channel; the handle is never a key', async () => {
    const { handle } = await signInAndRedeem(stack, a, a, 'bob');
    const keys = await redis.keys('*');
    expect(keys.some((k) => k.includes(handle))).toBe(false);
    const raw = JSON.parse(String(await redis.get(`shop-bff:sess:${sessionIdOfHandle(handle)}`))) as SessionData;
    expect(raw.channel).toBe('mobile');
    expect(JSON.stringify(raw)).not.toContain(handle);
    // The store's id used as a handle is nothing: it is hashed again.
    expect((await appUser(stack, sessionIdOfHandle(handle))).status).toBe(401);
  });

  /** The handle's session as stored in Redis, its tokens decrypted with the stack's key. */
  const stored = async (handle: string) => {
    const s = JSON.parse(String(await redis.get(`shop-bff:sess:${sessionIdOfHandle(handle)}`))) as SessionData;
    const tokens = createTokenCrypto(staticSecret(SESSION_ENCRYPTION_KEY, 'test')).decrypt(s.auth!.tokens, s.auth!.sub)!;
    return { auth: s.auth!, tokens };
  };

  it("refreshes a handle's access token like a browser session's, and revokes the refresh token at logout", async () => {
    const { handle } = await signInAndRedeem(stack, a, b, 'alice');
    const before = await stored(handle);
    expect(before.tokens.refreshToken).toBeDefined();
    // Past the access token's expiry, as the BFF's clock sees it.
    stack.clock.advance(before.auth.accessTokenExpiresAt! - stack.clock.now() + 1000);
    try {
      const dash = await appGraphql(stack, handle, b);
      expect(JSON.parse(dash.text_).errors).toBeUndefined();
    } finally {
      stack.clock.reset();
    }
    const after = await stored(handle);
    expect(after.auth.tokenGeneration).toBe(before.auth.tokenGeneration + 1);
    expect(after.tokens.accessToken).not.toBe(before.tokens.accessToken);

    expect((await appLogout(stack, handle, a)).status).toBe(204);
    const disc = await discover(stack.issuer);
    const refresh = await tokenRequest(
      disc,
      { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, tokenEndpointAuthMethod: a.config.oidc.tokenAuthMethod },
      { grant_type: 'refresh_token', refresh_token: after.tokens.refreshToken! },
    );
    expect([refresh.status, refresh.body.error]).toEqual([400, 'invalid_grant']);
  });

  it('refuses each bad sign-in request with a 400 page and no redirect', async () => {
    const { challenge } = pkce();
    const good = { app: IOS.id, code_challenge: challenge, code_challenge_method: 'S256', state: 'xyz' };
    const cases: Array<Record<string, string>> = [
      { ...good, app: 'unknown-app' },
      (({ app: _, ...rest }) => rest)(good),
      (({ code_challenge: _, ...rest }) => rest)(good),
      { ...good, code_challenge_method: 'plain' },
      (({ code_challenge_method: _, ...rest }) => rest)(good),
      { ...good, code_challenge: 'too-short' },
      (({ state: _, ...rest }) => rest)(good),
      { ...good, state: '' },
    ];
    for (const params of cases) {
      const res = await stack.fetch(`/auth/mobile/login?${new URLSearchParams(params).toString()}`);
      expect([params, res.status, res.headers.get('location')]).toEqual([params, 400, null]);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
    }
    const ok = await stack.fetch(`/auth/mobile/login?${new URLSearchParams(good).toString()}`);
    expect(ok.status).toBe(302);
    expect(new URL(ok.headers.get('location')!).origin).toBe(new URL(stack.issuer).origin);
  });

  it('refuses a wrong verifier, and the code is burnt by the attempt', async () => {
    const s = await browserSignIn(a, 'alice');
    expectInvalidGrant(await redeem(b, { app: s.app, code: s.code, code_verifier: pkce().verifier }));
    expectInvalidGrant(await redeem(a, { app: s.app, code: s.code, code_verifier: s.verifier }));
  });

  it('refuses a code used twice, on either instance', async () => {
    const s = await browserSignIn(a, 'alice');
    const first = await redeem(a, { app: s.app, code: s.code, code_verifier: s.verifier });
    expect(first.status).toBe(200);
    stack.watchForLeak(first.body.sessionToken);
    expectInvalidGrant(await redeem(b, { app: s.app, code: s.code, code_verifier: s.verifier }));
    expectInvalidGrant(await redeem(a, { app: s.app, code: s.code, code_verifier: s.verifier }));
  });

  it("refuses another app's code, and the code is burnt", async () => {
    const s = await browserSignIn(a, 'alice', IOS);
    expectInvalidGrant(await redeem(a, { app: ANDROID.id, code: s.code, code_verifier: s.verifier }));
    expectInvalidGrant(await redeem(a, { app: IOS.id, code: s.code, code_verifier: s.verifier }));
  });

  it('refuses malformed and incomplete token requests with invalid_grant', async () => {
    expectInvalidGrant(await redeem(a, undefined, '{"app": "shop-ios", "code": '));
    expectInvalidGrant(await redeem(a, {}));
    expectInvalidGrant(await redeem(a, { app: IOS.id, code: 'made-up', code_verifier: pkce().verifier }));
    const s = await browserSignIn(a, 'alice');
    expectInvalidGrant(await redeem(a, { app: s.app, code: s.code }));
    expectInvalidGrant(await redeem(a, { app: s.app, code: s.code, code_verifier: s.verifier }));
  });

  it("refuses a cookie's session id sent as a handle, and a handle sent as a cookie", async () => {
    const jar = await stack.login('alice');
    const name = a.config.session.cookieName;
    const cookie = (await jar.getCookies(a.url)).find((c) => c.key === name)!.value;
    const browserId = decodeURIComponent(cookie).replace(/^s:/, '').replace(/\.[^.]*$/, '');
    expect((await appUser(stack, browserId)).status).toBe(401);
    expect((await appUser(stack, decodeURIComponent(cookie))).status).toBe(401);

    const { handle } = await signInAndRedeem(stack, a, a, 'alice');
    const asCookie = async (value: string) =>
      stack.fetch('/auth/user', { headers: { cookie: `${name}=${encodeURIComponent(value)}`, 'x-csrf': '1' } });
    expect((await asCookie(handle)).status).toBe(401);
    expect((await asCookie(signedCookie(handle))).status).toBe(401);
    // Even the store's id of the handle, signed with the real secret: the session is mobile-only.
    expect((await asCookie(signedCookie(sessionIdOfHandle(handle)))).status).toBe(401);
    const gql = await stack.graphql('{ me { id } }', { headers: { cookie: `${name}=${encodeURIComponent(signedCookie(sessionIdOfHandle(handle)))}` } });
    expect(gql.body.data?.me ?? null).toBeNull();
    // ... and that attempt did not end the app's session.
    expect((await appUser(stack, handle)).status).toBe(200);
    // Both a cookie and a handle: the cookie's rules apply, and the handle is not looked at.
    const both = await stack.fetch('/auth/user', { jar, headers: bearer(handle) });
    expect(both.status).toBe(403);
  });

  /** The user signs out at the IdP in the system browser; the IdP posts back-channel logout to A. */
  const signOutAtIdp = async (jar: CookieJar) => {
    const out = await logoutThroughIdp({ startUrl: `${stack.issuer}/session/end`, jar });
    expect(out.responses.at(-1)?.body).toContain('signed out');
  };

  it('ends a mobile session by back-channel logout from the IdP, on every instance', async () => {
    const s = await browserSignIn(a, 'bob');
    const res = await redeem(b, { app: s.app, code: s.code, code_verifier: s.verifier });
    const handle = res.body.sessionToken as string;
    stack.watchForLeak(handle);
    expect((await appUser(stack, handle, b)).status).toBe(200);
    await signOutAtIdp(s.jar);
    expect((await appUser(stack, handle, a)).status).toBe(401);
    expect((await appUser(stack, handle, b)).status).toBe(401);
  });

  it('refuses the code of a sign-in that the IdP ended before the app redeemed it', async () => {
    const s = await browserSignIn(a, 'alice');
    await signOutAtIdp(s.jar);
    expectInvalidGrant(await redeem(b, { app: s.app, code: s.code, code_verifier: s.verifier }));
  });

  it('never writes a handle or a code in a log line', async () => {
    const s = await browserSignIn(a, 'alice');
    const res = await redeem(b, { app: s.app, code: s.code, code_verifier: s.verifier });
    const handle = res.body.sessionToken as string;
    stack.watchForLeak(handle);
    await appGraphql(stack, handle, a);
    await appLogout(stack, handle, b);
    const log = stack.logLines.join('\n');
    expect(log).not.toContain(handle);
    expect(log).not.toContain(s.code);
    expect(log).not.toContain(s.verifier);
    expect(log).toContain('mobile session issued');
  });
});

describe('one instance, memory store, injected clock', () => {
  const IDLE_S = 600;
  const ABSOLUTE_S = 1500;
  const TTL_S = 30;
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        MOBILE_APPS,
        MOBILE_HANDOFF_TTL_S: String(TTL_S),
        SESSION_IDLE_TIMEOUT_S: String(IDLE_S),
        SESSION_ABSOLUTE_TIMEOUT_S: String(ABSOLUTE_S),
        RATE_LIMIT_SESSION_PER_MIN: '4',
      },
      rateLimitWindowS: 3600,
    });
  });
  afterEach(() => stack.clock.reset());
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a code after MOBILE_HANDOFF_TTL_S', async () => {
    const s = await browserSignIn(stack.bff, 'alice');
    stack.clock.advance((TTL_S + 1) * 1000);
    expectInvalidGrant(await redeem(stack.bff, { app: s.app, code: s.code, code_verifier: s.verifier }));
  });

  it('ends a mobile session left idle for SESSION_IDLE_TIMEOUT_S, and slides it when used', async () => {
    const { handle } = await signInAndRedeem(stack, stack.bff, stack.bff, 'alice');
    stack.clock.advance((IDLE_S - 10) * 1000);
    expect((await appUser(stack, handle)).status).toBe(200);
    stack.clock.advance((IDLE_S - 10) * 1000);
    // Polling without sliding leaves the expiry where it was...
    expect((await appUser(stack, handle, undefined, '?slide=false')).status).toBe(200);
    stack.clock.advance(20_000);
    // ... so the session ends IDLE_S after its last sliding use.
    expect((await appUser(stack, handle)).status).toBe(401);
  });

  it('ends a mobile session at SESSION_ABSOLUTE_TIMEOUT_S however active it is', async () => {
    const { handle } = await signInAndRedeem(stack, stack.bff, stack.bff, 'bob');
    stack.clock.advance(500_000);
    expect((await appUser(stack, handle)).status).toBe(200);
    stack.clock.advance(500_000);
    expect((await appUser(stack, handle)).status).toBe(200);
    stack.clock.advance(501_000);
    expect((await appUser(stack, handle)).status).toBe(401);
    stack.clock.reset();
    expect((await appUser(stack, handle)).status).toBe(401);
  });

  it("counts a handle's requests against the session rate limit", async () => {
    const { handle } = await signInAndRedeem(stack, stack.bff, stack.bff, 'alice');
    const other = await signInAndRedeem(stack, stack.bff, stack.bff, 'bob');
    for (let i = 0; i < 4; i++) expect((await appUser(stack, handle)).status).toBe(200);
    const limited = await appGraphql(stack, handle);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(JSON.parse(limited.text_).errors[0].extensions.code).toBe('RATE_LIMITED');
    // Per session: another session from the same address is not limited.
    expect((await appUser(stack, other.handle)).status).toBe(200);
  });
});

describe('without MOBILE_APPS', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers 404 on every mobile endpoint', async () => {
    const { challenge } = pkce();
    const login = await stack.fetch(
      `/auth/mobile/login?${new URLSearchParams({ app: IOS.id, code_challenge: challenge, code_challenge_method: 'S256', state: 's' })}`,
    );
    expect(login.status).toBe(404);
    const token = await stack.fetch('/auth/mobile/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(token.status).toBe(404);
    expect((await stack.fetch('/auth/mobile/logout', { method: 'POST', headers: bearer('x'.repeat(43)) })).status).toBe(404);
  });
});
