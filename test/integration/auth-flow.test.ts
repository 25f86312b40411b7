import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { SessionData, Store } from 'express-session';
import { createClient, type RedisClientType } from 'redis';
import { CookieJar } from 'tough-cookie';
import {
  AuthError,
  createClientCredentialsToken,
  createOidcClient,
  createUserCredential,
  OidcError,
  type OidcClient,
} from '../../src/auth/index.js';
import { startBff } from '../../src/bff.js';
import { type Config, loadConfig } from '../../src/config/index.js';
import { createDevIdp, type DevIdp } from '../../src/demo/dev-idp.js';
import { startDemoServices } from '../../src/demo/index.js';
import { type SecretSource, staticSecret } from '../../src/secrets/index.js';
import { urlSetting } from '../../src/services/definition.js';
import { SERVICES } from '../../src/services/registry.js';
import {
  createSessionMiddleware,
  type RedisClient,
  type SessionStore,
  type SessionTokens,
  type TokenCrypto,
} from '../../src/session/index.js';
import { recordingLogger } from '../support/fault-server.js';
import { freePort } from '../support/free-port.js';
import { type BrowseResult, loginThroughIdp } from '../support/oidc-login.js';
import { clientAuth, discover, tokenRequest } from '../support/oidc-tokens.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/** The BFF's time limit on IdP calls in the harness: only an IdP that hangs reaches it. */
const IDP_TIMEOUT_MS = 3000;

/**
 * Sign-in and sessions end to end: the BFF as `startBff` composes it for production, the
 * real dev IdP on its own loopback server (behind a switch that takes it down),
 * a simulated browser with a cookie jar, and a real redis-server for the Redis store.
 * Nothing is mocked. Everything the BFF sent back is kept and scanned for tokens and
 * secrets at the end of each suite, as are the log lines.
 */

const CLIENT_ID = 'shop-bff';
const CLIENT_SECRET = 'test-client-secret-must-never-leak-0123';
const SESSION_SECRET = 'test-session-secret-must-never-leak-0123456789';
const ENCRYPTION_KEY = 'test-encryption-key-must-never-leak-0123456789';

interface Received {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

interface Harness {
  bff: string;
  /** The test-only credential endpoint beside the BFF (see `startHarness`). */
  probe: string;
  issuer: string;
  idp: DevIdp;
  config: Config;
  store: SessionStore;
  crypto: TokenCrypto;
  oidc: OidcClient;
  /** Token endpoint successes by grant type, as the IdP itself reports them. */
  grants: Record<string, number>;
  /**
   * The IdP's server: `up`; `down` drops every connection (an outage); `hangs` accepts
   * requests and never answers (an IdP too slow to wait for).
   */
  idpState: 'up' | 'down' | 'hangs';
  /** Added to the session middleware's clock (absolute timeout tests). */
  clockOffsetMs: number;
  /** Every response the BFF sent (directly, or during a browser walk). */
  received: Received[];
  /** Every token the IdP issued to the BFF that the tests saw in the store. */
  knownTokens: Set<string>;
  /** ID tokens: allowed in exactly one place, the logout redirect's `id_token_hint`. */
  idTokens: Set<string>;
  logs: Awaited<ReturnType<typeof recordingLogger>>;
  /** The Redis client of the store (Redis suites only). */
  redis: RedisClient | undefined;
  /** The cookie-signing secret; tests rotate it. */
  sessionSecret: MutableSecret;
  close(): Promise<void>;
}

type MutableSecret = SecretSource & { set(value: string): void };

function mutableSecret(initial: string): MutableSecret {
  let value = initial;
  return { description: 'test', current: () => value, refresh: async () => false, close: () => {}, set: (v) => (value = v) };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

async function startHarness(kind: 'memory' | 'redis'): Promise<Harness> {
  const logs = await recordingLogger();
  const logger = logs.logger;

  // The IdP behind a switch: up (oidc-provider answers) or down (connections dropped).
  let idpHandler: DevIdp['handler'] | undefined;
  const h = { idpState: 'up', clockOffsetMs: 0 } as Harness;
  const idpServer = await listen((req, res) => {
    if (h.idpState === 'down' || !idpHandler) return void req.socket.destroy();
    if (h.idpState === 'hangs') return; // Held until the BFF gives up (or the server closes).
    idpHandler(req, res);
  });
  const port = await freePort();
  const bff = `http://127.0.0.1:${port}`;
  const issuer = idpServer.url;

  const idp = createDevIdp({
    issuer,
    clients: [
      {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUris: [`${bff}/auth/callback`],
        postLogoutRedirectUris: [`${bff}/`],
        tokenEndpointAuthMethod: kind === 'redis' ? 'client_secret_post' : 'client_secret_basic',
      },
    ],
  });
  idpHandler = idp.handler;
  const grants: Record<string, number> = {};
  idp.provider.on('grant.success', (ctx) => {
    const type = String(ctx.oidc.params?.grant_type);
    grants[type] = (grants[type] ?? 0) + 1;
  });
  // The downstream services, validating users' tokens at this IdP, as in stack.ts.
  const demo = await startDemoServices({ issuer, introspectionClient: idp.resourceServer });

  let redisServer: RedisServer | undefined;
  let redis: RedisClientType | undefined;
  if (kind === 'redis') {
    redisServer = await startRedisServer();
    redis = createClient({ url: redisServer.url }) as RedisClientType;
    await redis.connect();
  }

  const config = loadConfig({
    PORT: String(port),
    PUBLIC_URL: bff,
    OIDC_ISSUER: issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_CLIENT_SECRET: CLIENT_SECRET,
    OIDC_TOKEN_AUTH_METHOD: kind === 'redis' ? 'client_secret_post' : 'client_secret_basic',
    // Short, so the slow-IdP test waits three seconds; the IdP on loopback answers in
    // milliseconds, and well inside this on a loaded machine.
    OIDC_TIMEOUT_MS: String(IDP_TIMEOUT_MS),
    OIDC_REVOKE_TIMEOUT_MS: String(IDP_TIMEOUT_MS),
    SESSION_SECRET,
    SESSION_ENCRYPTION_KEY: ENCRYPTION_KEY,
    ...Object.fromEntries(SERVICES.map((s) => [urlSetting(s), demo.urls[s.name]!])),
    ...(redisServer ? { REDIS_URL: redisServer.url } : {}),
    // rate-limits.test.ts covers the limits. Here they would refuse the suite's many
    // sign-ins from one address, and add their own Redis commands to the count of the
    // performance test, which is about the session store's.
    RATE_LIMIT_LOGIN_PER_MIN: '0',
    RATE_LIMIT_SESSION_PER_MIN: '0',
    RATE_LIMIT_ANONYMOUS_PER_MIN: '0',
  });

  // The real BFF, composed as main.ts composes it, with a session secret the tests rotate
  // and a clock they move (absolute timeout tests).
  const sessionSecret = mutableSecret(SESSION_SECRET);
  const now = () => Date.now() + h.clockOffsetMs;
  const running = await startBff(config, { logger, now, secrets: { sessionSecret }, ...(redis ? { redis } : {}) });
  const { sessions: store, crypto, oidc, refresher } = running.app;

  /**
   * A test-only endpoint, on its own loopback server beside the BFF (cookies ignore the
   * port, so the browser's session cookie reaches it), reading sessions with the BFF's
   * own store, secret, token crypto and refresher. It uses the user's credential the way
   * a downstream client would: `n` concurrent headers() calls, optionally after renew(),
   * with the credential's clock moved by `offsetMs`. Answers with a hash of the token
   * (never the token) and what the IdP's introspection says about it. No public endpoint
   * can: GraphQL batches a request's calls into one and never shows which token a
   * service received, and the credential's clock is the whole process's.
   */
  const probe = express();
  probe.use(createSessionMiddleware({ config, store, secret: sessionSecret, now }));
  probe.get('/test/call', async (req, res) => {
    const offset = Number(req.query.offsetMs ?? 0);
    const cred = createUserCredential(req, { crypto, config, logger, refresher, now: () => Date.now() + offset });
    if (!cred) return res.status(401).json({ error: { code: 'UNAUTHENTICATED' } });
    try {
      if (req.query.renew) await cred.renew();
      const n = Number(req.query.n ?? 1);
      const headers = await Promise.all(Array.from({ length: n }, () => cred.headers()));
      const tokens = new Set(headers.map((x) => x.authorization));
      const token = headers[0]!.authorization!.replace(/^Bearer /, '');
      const intro = await introspect(issuer, idp, token);
      return res.json({ sub: cred.sub, tokenHash: sha256(token), distinct: tokens.size, active: intro.active, tokenSub: intro.sub });
    } catch (err) {
      if (err instanceof AuthError) {
        return res.status(err.code === 'UNAUTHENTICATED' ? 401 : 503).json({ error: { code: err.code, message: err.message } });
      }
      throw err;
    }
  });
  const probeServer = await listen((req, res) => probe(req, res));

  return Object.assign(h, {
    bff,
    probe: probeServer.url,
    issuer,
    idp,
    config,
    store,
    crypto,
    oidc,
    grants,
    received: [] as Received[],
    knownTokens: new Set<string>(),
    idTokens: new Set<string>(),
    logs,
    redis,
    sessionSecret,
    close: async () => {
      await closeServer(probeServer.server);
      await running.close();
      await demo.close();
      await closeServer(idpServer.server);
      if (redis) await redis.quit();
      await redisServer?.stop();
    },
  });
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function introspect(issuer: string, idp: DevIdp, token: string): Promise<{ active: boolean; sub?: string; scope?: string }> {
  const disc = await discover(issuer);
  const res = await fetch(disc.introspection_endpoint, {
    method: 'POST',
    ...clientAuth(idp.resourceServer, { token }),
  });
  return (await res.json()) as { active: boolean; sub?: string; scope?: string };
}

/** GET from the BFF with the jar's cookies, like a browser; the response is recorded. */
const get = (h: Harness, path: string, jar: CookieJar, headers: Record<string, string> = {}) => send(h, path, jar, { headers });

/** POSTs a GraphQL query as the web app on the BFF's origin does; the response is recorded. */
const graphql = (h: Harness, query: string, jar: CookieJar) =>
  send(h, '/graphql', jar, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: h.bff },
    body: JSON.stringify({ query }),
  });

async function send(
  h: Harness,
  path: string,
  jar: CookieJar,
  init: { method?: string; headers: Record<string, string>; body?: string },
): Promise<Received> {
  const url = new URL(path, h.bff).href;
  const cookie = await jar.getCookieString(url);
  const res = await fetch(url, { ...init, headers: { ...init.headers, ...(cookie ? { cookie } : {}) }, redirect: 'manual' });
  for (const c of res.headers.getSetCookie()) await jar.setCookie(c, url, { ignoreError: true });
  const received = { url, status: res.status, headers: res.headers, body: await res.text() };
  h.received.push(received);
  return received;
}

function keep(h: Harness, walk: BrowseResult): BrowseResult {
  for (const r of walk.responses) if (r.url.startsWith(h.bff)) h.received.push(r);
  return walk;
}

async function login(h: Harness, opts: { jar?: CookieJar; returnTo?: string; user?: 'alice' | 'bob' } = {}) {
  const jar = opts.jar ?? new CookieJar();
  const user = opts.user ?? 'alice';
  const walk = keep(
    h,
    await loginThroughIdp({
      startUrl: `${h.bff}/auth/login${opts.returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(opts.returnTo)}`}`,
      username: user,
      password: user,
      jar,
    }),
  );
  return { jar, walk };
}

/** The session id inside the signed cookie (`s:<id>.<signature>`), or undefined. */
async function sessionId(h: Harness, jar: CookieJar): Promise<string | undefined> {
  const cookie = (await jar.getCookies(h.bff)).find((c) => c.key === h.config.session.cookieName);
  if (!cookie) return undefined;
  const raw = decodeURIComponent(cookie.value);
  return raw.startsWith('s:') ? raw.slice(2, raw.lastIndexOf('.')) : undefined;
}

const storeGet = (store: Store, sid: string) =>
  new Promise<SessionData | null | undefined>((resolve, reject) =>
    store.get(sid, (err, s) => (err ? reject(err) : resolve(s))),
  );
const storeSet = (store: Store, sid: string, s: SessionData) =>
  new Promise<void>((resolve, reject) => store.set(sid, s, (err) => (err ? reject(err) : resolve())));

/** The decrypted tokens of the jar's session, straight from the store (and remembered for the leak scan). */
async function storedTokens(h: Harness, jar: CookieJar): Promise<{ sid: string; data: SessionData; tokens: SessionTokens }> {
  const sid = (await sessionId(h, jar))!;
  const data = (await storeGet(h.store, sid))!;
  const tokens = h.crypto.decrypt(data.auth!.tokens, data.auth!.sub)!;
  for (const t of [tokens.accessToken, tokens.refreshToken]) if (t) h.knownTokens.add(t);
  if (tokens.idToken) h.idTokens.add(tokens.idToken);
  return { sid, data, tokens };
}

const user = (h: Harness, jar: CookieJar) => get(h, '/auth/user', jar, { 'x-csrf': '1' });

/** An authorization request started at the BFF, stopped before the IdP: the pre-login session and the state. */
async function startLogin(h: Harness, jar: CookieJar, returnTo = '/') {
  const res = await get(h, `/auth/login?returnTo=${encodeURIComponent(returnTo)}`, jar);
  const location = new URL(res.headers.get('location')!);
  return { res, location, state: location.searchParams.get('state')! };
}

/** Walks a started login through the IdP and stops before the callback reaches the BFF. */
async function codeCallback(h: Harness, jar: CookieJar, authorizeUrl: string): Promise<string> {
  const walk = keep(
    h,
    await loginThroughIdp({
      startUrl: authorizeUrl,
      username: 'alice',
      password: 'alice',
      jar,
      stopAt: (u) => u.href.startsWith(`${h.bff}/auth/callback`),
    }),
  );
  return walk.finalUrl;
}

describe.each(['memory', 'redis'] as const)('sign-in and sessions (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('login', () => {
    it('signs in through the IdP and lands on returnTo with a session', async () => {
      // The session starts after this, however long the sign-in takes.
      const started = Date.now();
      const { jar, walk } = await login(h, { returnTo: '/orders?x=1' });
      expect(walk.finalUrl).toBe(`${h.bff}/orders?x=1`);

      const res = await user(h, jar);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = JSON.parse(res.body) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['email', 'logoutUrl', 'name', 'sessionExpiresAt', 'sub']);
      expect(body).toMatchObject({ sub: 'alice', name: 'Alice Martin', email: 'alice@example.com' });
      expect(body.logoutUrl).toMatch(/^\/auth\/logout\?sid=[\w-]{16,}$/);
      const expires = Date.parse(body.sessionExpiresAt as string);
      expect(expires).toBeGreaterThan(started + (h.config.session.idleTimeoutS - 10) * 1000);

      const { sid, data, tokens } = await storedTokens(h, jar);
      expect(tokens.refreshToken).toBeDefined();
      expect(tokens.idToken).toBeDefined();
      // The logout id is not the session id (nor derived from the cookie).
      expect(body.logoutUrl).not.toContain(sid);
      // Only the encrypted blob holds tokens.
      const stored = JSON.stringify(data);
      expect(stored).not.toContain(tokens.accessToken);
      expect(stored).not.toContain(tokens.refreshToken);
      expect(stored).not.toContain(tokens.idToken);

      expect(JSON.parse((await graphql(h, '{ me { id name email } }', jar)).body)).toEqual({
        data: { me: { id: 'alice', name: 'Alice Martin', email: 'alice@example.com' } },
      });
    });

    it('sends an authorization code request with PKCE S256, state and nonce', async () => {
      const jar = new CookieJar();
      const { res, location } = await startLogin(h, jar, '/x');
      expect(res.status).toBe(302);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const disc = await discover(h.issuer);
      expect(`${location.origin}${location.pathname}`).toBe(disc.authorization_endpoint);
      const p = location.searchParams;
      expect(p.get('response_type')).toBe('code');
      expect(p.get('client_id')).toBe(CLIENT_ID);
      expect(p.get('redirect_uri')).toBe(`${h.bff}/auth/callback`);
      expect(p.get('code_challenge_method')).toBe('S256');
      expect(p.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(p.get('state')).toMatch(/^[\w-]{20,}$/);
      expect(p.get('nonce')).toMatch(/^[\w-]{20,}$/);
      expect(p.get('scope')).toBe('openid profile email offline_access');
      // The redirect has no body (nothing repeated outside the Location header).
      expect(res.body).toBe('');
    });

    it('sets an HttpOnly, SameSite=Lax, host-only cookie on Path=/ (not Secure over http)', async () => {
      const jar = new CookieJar();
      const { res } = await startLogin(h, jar);
      const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${h.config.session.cookieName}=`))!;
      expect(setCookie).toMatch(/; HttpOnly/i);
      expect(setCookie).toMatch(/; SameSite=Lax/i);
      expect(setCookie).toMatch(/; Path=\//);
      expect(setCookie).not.toMatch(/; Domain=/i);
      expect(setCookie).not.toMatch(/; Secure/i);
    });

    it('issues a fresh session id at login and deletes the pre-login session (fixation)', async () => {
      const jar = new CookieJar();
      const { location } = await startLogin(h, jar);
      const before = (await sessionId(h, jar))!;
      expect(await storeGet(h.store, before)).toMatchObject({ pendingLogins: [expect.anything()] });

      const callback = await codeCallback(h, jar, location.href);
      const res = await get(h, callback, jar);
      expect(res.status).toBe(302);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const after = (await sessionId(h, jar))!;
      expect(after).not.toBe(before);
      expect(await storeGet(h.store, before)).toBeFalsy();
      expect((await storeGet(h.store, after))?.auth?.sub).toBe('alice');
    });

    it.each([
      ['//evil.example', '/'],
      ['/\\evil.example', '/'],
      ['https://evil.example/x', '/'],
      ['/\t/evil.example', '/'],
      ['/ok?x=1', '/ok?x=1'],
    ])('returnTo=%j lands on %j', async (returnTo, expected) => {
      const { walk } = await login(h, { returnTo });
      expect(walk.finalUrl).toBe(`${h.bff}${expected}`);
    });
  });

  describe('callback failures', () => {
    it('answers an unknown state with 400 and keeps no session', async () => {
      const jar = new CookieJar();
      const { location } = await startLogin(h, jar);
      const before = (await sessionId(h, jar))!;
      const callback = new URL(await codeCallback(h, jar, location.href));
      callback.searchParams.set('state', 'forged-state-value-0123456789');
      const res = await get(h, callback.href, jar);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.body).toContain('Sign-in failed');
      expect((await user(h, jar)).status).toBe(401);
      // The code was never redeemed.
      expect(res.body).not.toContain(callback.searchParams.get('code')!);
      expect((await storeGet(h.store, before))?.auth).toBeUndefined();
    });

    it('answers a callback without any pending login with 400', async () => {
      const jar = new CookieJar();
      const res = await get(h, '/auth/callback?code=abc&state=def', jar);
      expect(res.status).toBe(400);
      expect(res.headers.getSetCookie()).toHaveLength(0);
      expect((await user(h, jar)).status).toBe(401);
    });

    it('answers a replayed callback (same state and code) with 400', async () => {
      const jar = new CookieJar();
      const { location } = await startLogin(h, jar, '/first');
      const callback = await codeCallback(h, jar, location.href);
      const grantsBefore = h.grants.authorization_code ?? 0;

      const first = await get(h, callback, jar);
      expect(first.status).toBe(302);
      expect(first.headers.get('location')).toBe('/first');
      const signedIn = await sessionId(h, jar);

      const replay = await get(h, callback, jar);
      expect(replay.status).toBe(400);
      // The replay neither redeemed the code again nor touched the signed-in session.
      expect(h.grants.authorization_code).toBe(grantsBefore + 1);
      expect(await sessionId(h, jar)).toBe(signedIn);
      expect((await user(h, jar)).status).toBe(200);

      // An attacker holding the callback URL in another browser gets nothing either.
      const other = new CookieJar();
      const stolen = await get(h, callback, other);
      expect(stolen.status).toBe(400);
      expect((await user(h, other)).status).toBe(401);
    });

    it('answers an IdP error with 400 and removes the pre-login session', async () => {
      const jar = new CookieJar();
      const { state } = await startLogin(h, jar);
      const before = (await sessionId(h, jar))!;
      const res = await get(
        h,
        `/auth/callback?error=access_denied&error_description=${encodeURIComponent('<script>x</script>')}&state=${state}`,
        jar,
      );
      expect(res.status).toBe(400);
      expect(res.body).not.toContain('script>x');
      expect(res.body).not.toContain('access_denied');
      expect(await storeGet(h.store, before)).toBeFalsy();
      expect((await user(h, jar)).status).toBe(401);
      // The pending login was single use.
      expect((await get(h, `/auth/callback?code=x&state=${state}`, jar)).status).toBe(400);
    });

    it('answers a failed code exchange (a forged code) with 400', async () => {
      const jar = new CookieJar();
      const { state } = await startLogin(h, jar);
      const res = await get(h, `/auth/callback?code=forged-code&state=${state}&iss=${encodeURIComponent(h.issuer)}`, jar);
      expect(res.status).toBe(400);
      expect((await user(h, jar)).status).toBe(401);
    });
  });

  describe('/auth/user', () => {
    it('needs X-CSRF: 1 (403 JSON) and a session (401 JSON, never a redirect)', async () => {
      const { jar } = await login(h);
      const noHeader = await get(h, '/auth/user', jar);
      expect(noHeader.status).toBe(403);
      expect(JSON.parse(noHeader.body)).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
      expect((await get(h, '/auth/user', jar, { 'x-csrf': 'yes' })).status).toBe(403);

      const anonymous = await user(h, new CookieJar());
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('location')).toBeNull();
      expect(anonymous.headers.get('content-type')).toMatch(/application\/json/);
      expect(JSON.parse(anonymous.body)).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
    });

    it('treats forged, tampered and unsigned cookies as anonymous', async () => {
      const { jar } = await login(h);
      const name = h.config.session.cookieName;
      const sid = (await sessionId(h, jar))!;
      const cookie = (await jar.getCookies(h.bff)).find((c) => c.key === name)!;
      const raw = decodeURIComponent(cookie.value);
      const last = raw.at(-1) === 'A' ? 'B' : 'A';
      const variants = [
        `s:${sid}.${'x'.repeat(43)}`, // forged signature
        raw.slice(0, -1) + last, // tampered signature
        `s:${sid.slice(0, -1)}${sid.at(-1) === 'a' ? 'b' : 'a'}${raw.slice(raw.lastIndexOf('.'))}`, // tampered id
        sid, // unsigned id
      ];
      for (const value of variants) {
        const forged = new CookieJar();
        await forged.setCookie(`${name}=${encodeURIComponent(value)}; Path=/`, h.bff);
        expect((await user(h, forged)).status).toBe(401);
      }
      expect((await user(h, jar)).status).toBe(200);
    });

    it('keeps sessions across a rotation of the cookie-signing secret', async () => {
      const { jar } = await login(h);
      const sid = await sessionId(h, jar);
      const NEW = 'rotated-session-secret-must-never-leak-0123456789';
      try {
        h.sessionSecret.set(`${NEW},${SESSION_SECRET}`);
        // Signed with the old secret, still accepted; the rolling cookie comes back re-signed.
        const res = await user(h, jar);
        expect(res.status).toBe(200);
        expect(res.headers.getSetCookie()).toHaveLength(1);
        h.sessionSecret.set(NEW);
        expect((await user(h, jar)).status).toBe(200);
        expect(await sessionId(h, jar)).toBe(sid);
        // A cookie signed only with a retired secret is refused.
        h.sessionSecret.set(SESSION_SECRET);
        const { jar: signedWithOld } = await login(h);
        h.sessionSecret.set(NEW);
        expect((await user(h, signedWithOld)).status).toBe(401);
      } finally {
        h.sessionSecret.set(SESSION_SECRET);
      }
    });

    it('ends a session at the absolute timeout', async () => {
      const { jar } = await login(h);
      h.clockOffsetMs = h.config.session.absoluteTimeoutS * 1000 + 1000;
      try {
        expect((await user(h, jar)).status).toBe(401);
      } finally {
        h.clockOffsetMs = 0;
      }
      expect((await user(h, jar)).status).toBe(401);
    });
  });

  describe('performance', () => {
    it('costs one store read per request, no write and no touch while the session is fresh', async () => {
      if (!h.redis) return; // Redis only: commands are counted by the server itself.
      const { jar } = await login(h);
      await h.redis.sendCommand(['CONFIG', 'RESETSTAT']);
      for (let i = 0; i < 10; i++) expect((await user(h, jar)).status).toBe(200);
      const stats = String(await h.redis.sendCommand(['INFO', 'commandstats']));
      const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      expect(calls('get')).toBe(10);
      expect(calls('set')).toBe(0);
      expect(calls('expire')).toBe(0);
    });
  });

  describe('logout', () => {
    it('changes nothing with a missing or wrong sid (400)', async () => {
      const { jar } = await login(h);
      const sid = (await sessionId(h, jar))!;
      for (const path of ['/auth/logout', '/auth/logout?sid=wrong', `/auth/logout?sid=${sid}`]) {
        const res = await get(h, path, jar);
        expect(res.status).toBe(400);
        // At most the rolling idle-expiry refresh of the same cookie.
        expect(await sessionId(h, jar)).toBe(sid);
        expect(res.headers.getSetCookie().join()).not.toMatch(/Expires=Thu, 01 Jan 1970/);
      }
      expect((await storeGet(h.store, sid))?.auth?.sub).toBe('alice');
      expect((await user(h, jar)).status).toBe(200);
    });

    it('destroys the session, revokes the refresh token and redirects to the end-session endpoint', async () => {
      const { jar } = await login(h);
      const { sid, tokens } = await storedTokens(h, jar);
      const logoutUrl = (JSON.parse((await user(h, jar)).body) as { logoutUrl: string }).logoutUrl;

      const res = await get(h, logoutUrl, jar);
      expect(res.status).toBe(302);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const cleared = res.headers.getSetCookie().find((c) => c.startsWith(`${h.config.session.cookieName}=`));
      expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
      const location = new URL(res.headers.get('location')!);
      const disc = await discover(h.issuer);
      expect(`${location.origin}${location.pathname}`).toBe(disc.end_session_endpoint);
      expect(location.searchParams.get('id_token_hint')).toBe(tokens.idToken);
      expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${h.bff}/`);

      expect(await storeGet(h.store, sid)).toBeFalsy();
      expect((await user(h, jar)).status).toBe(401);
      // The same link again: there is no session to end.
      expect((await get(h, logoutUrl, jar)).status).toBe(400);

      // Revoked at the IdP: the refresh token no longer works.
      const refresh = await tokenRequest(disc, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenEndpointAuthMethod: h.config.oidc.tokenAuthMethod }, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refreshToken!,
      });
      expect(refresh.body.error).toBe('invalid_grant');
    });
  });

  describe('user credential', () => {
    const call = (jar: CookieJar, query = '') => get(h, `${h.probe}/test/call${query}`, jar);
    const json = (r: Received) => JSON.parse(r.body) as Record<string, unknown>;

    it('gives the access token from the session without refreshing while it is fresh', async () => {
      const { jar } = await login(h);
      const { tokens } = await storedTokens(h, jar);
      const before = h.grants.refresh_token ?? 0;
      const res = json(await call(jar, '?n=5'));
      expect(res).toMatchObject({ sub: 'alice', tokenHash: sha256(tokens.accessToken), distinct: 1, active: true, tokenSub: 'alice' });
      expect(h.grants.refresh_token ?? 0).toBe(before);
    });

    it('refreshes once when the token is about to expire, stores the new tokens and uses them next time', async () => {
      const { jar } = await login(h);
      const old = await storedTokens(h, jar);
      const before = h.grants.refresh_token ?? 0;
      // 250 s later the 300 s token expires within TOKEN_REFRESH_SKEW_S (60 s).
      const results = await Promise.all([1, 2, 3].map(() => call(jar, '?n=4&offsetMs=250000')));
      const bodies = results.map(json);
      expect(new Set(bodies.map((b) => b.tokenHash)).size).toBe(1);
      expect(bodies[0]).toMatchObject({ distinct: 1, active: true, tokenSub: 'alice' });
      expect(bodies[0]!.tokenHash).not.toBe(sha256(old.tokens.accessToken));
      // One refresh for three concurrent requests with four calls each.
      expect(h.grants.refresh_token).toBe(before + 1);

      const now = await storedTokens(h, jar);
      expect(sha256(now.tokens.accessToken)).toBe(bodies[0]!.tokenHash);
      expect(now.data.auth!.tokenGeneration).toBe(1);
      // The dev IdP rotates refresh tokens: the new one is stored, not the old one.
      expect(now.tokens.refreshToken).not.toBe(old.tokens.refreshToken);
      expect(json(await call(jar))).toMatchObject({ tokenHash: bodies[0]!.tokenHash });
      expect(h.grants.refresh_token).toBe(before + 1);
    });

    it('renew() forces a refresh, and successive refreshes use the rotated refresh token', async () => {
      const { jar } = await login(h);
      const first = json(await call(jar, '?renew=1'));
      const second = json(await call(jar, '?renew=1'));
      expect(first).toMatchObject({ active: true });
      expect(second).toMatchObject({ active: true });
      expect(second.tokenHash).not.toBe(first.tokenHash);
      expect((await storedTokens(h, jar)).data.auth!.tokenGeneration).toBe(2);
    });

    it('ends the session when the IdP answers invalid_grant', async () => {
      const { jar } = await login(h);
      const { sid, tokens } = await storedTokens(h, jar);
      const disc = await discover(h.issuer);
      await fetch(disc.revocation_endpoint, {
        method: 'POST',
        ...clientAuth(
          { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenEndpointAuthMethod: h.config.oidc.tokenAuthMethod },
          { token: tokens.refreshToken!, token_type_hint: 'refresh_token' },
        ),
      });
      const res = await call(jar, '?renew=1');
      expect(res.status).toBe(401);
      expect(json(res)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
      expect(res.headers.getSetCookie().join()).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect(await storeGet(h.store, sid)).toBeFalsy();
      expect((await user(h, jar)).status).toBe(401);
    });

    it.each([
      ['down', 'down'],
      ['too slow to answer', 'hangs'],
    ] as const)('keeps the session when the IdP is %s (IDP_UNAVAILABLE)', async (_what, idpState) => {
      const { jar } = await login(h);
      h.idpState = idpState;
      let res: Received;
      try {
        res = await call(jar, '?renew=1');
      } finally {
        h.idpState = 'up';
      }
      expect(res.status).toBe(503);
      expect(json(res)).toMatchObject({ error: { code: 'IDP_UNAVAILABLE' } });
      expect((await user(h, jar)).status).toBe(200);
      expect(json(await call(jar, '?renew=1'))).toMatchObject({ active: true });
    });

    it('treats a tampered token blob as no session', async () => {
      const { jar } = await login(h);
      const { sid, data } = await storedTokens(h, jar);
      const blob = data.auth!.tokens;
      const i = blob.length - 5;
      data.auth!.tokens = blob.slice(0, i) + (blob[i] === 'A' ? 'B' : 'A') + blob.slice(i + 1);
      await storeSet(h.store, sid, data);
      const res = await call(jar);
      expect(res.status).toBe(401);
      expect(await storeGet(h.store, sid)).toBeFalsy();
    });
  });

  describe('client credentials', () => {
    it('fetches one token for concurrent callers, and renew() fetches one more', async () => {
      const cred = createClientCredentialsToken({
        oidc: h.oidc,
        scope: 'reviews:read',
        logger: h.logs.logger,
        minRenewIntervalMs: 0,
      });
      const before = h.grants.client_credentials ?? 0;
      const headers = await Promise.all(Array.from({ length: 10 }, () => cred.headers()));
      expect(new Set(headers.map((x) => x.authorization)).size).toBe(1);
      expect(h.grants.client_credentials).toBe(before + 1);
      const token = headers[0]!.authorization!.replace(/^Bearer /, '');
      h.knownTokens.add(token);
      expect(await introspect(h.issuer, h.idp, token)).toMatchObject({ active: true, scope: 'reviews:read' });

      expect(await cred.headers()).toEqual(headers[0]);
      expect(h.grants.client_credentials).toBe(before + 1);
      expect(await Promise.all([cred.renew(), cred.renew()])).toEqual([true, true]);
      expect(h.grants.client_credentials).toBe(before + 2);
      const renewed = await cred.headers();
      h.knownTokens.add(renewed.authorization!.replace(/^Bearer /, ''));
      expect(renewed).not.toEqual(headers[0]);
    });
  });

  describe('no leaks', () => {
    it('never sent a token or secret to the browser, nor logged one', () => {
      expect(h.knownTokens.size).toBeGreaterThan(5);
      expect(h.received.length).toBeGreaterThan(20);
      const secrets = [...h.knownTokens, CLIENT_SECRET, SESSION_SECRET, ENCRYPTION_KEY, h.idp.resourceServer.clientSecret];
      for (const r of h.received) {
        const headers = [...r.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
        const text = `${headers}\n${r.body}`;
        for (const s of secrets) expect(text.includes(s) ? `${r.url} carries a secret` : 'clean').toBe('clean');
        // The ID token only as id_token_hint in the logout redirect (the contract asks for it).
        const isLogoutRedirect = new URL(r.url).pathname === '/auth/logout' && r.status === 302;
        for (const t of h.idTokens) {
          const where = isLogoutRedirect ? r.body : text;
          expect(where.includes(t) ? `${r.url} carries an ID token` : 'clean').toBe('clean');
        }
      }
      const logText = h.logs.text();
      for (const s of [...secrets, ...h.idTokens]) expect(logText.includes(s)).toBe(false);
      expect(logText).toContain('signed in');
    });
  });
});

describe('OIDC client against an IdP that starts late', () => {
  it('retries discovery after a failure and reports readiness', async () => {
    const logs = await recordingLogger();
    let handler: DevIdp['handler'] | undefined;
    const { server, url } = await listen((req, res) => (handler ? handler(req, res) : void req.socket.destroy()));
    try {
      const oidc = createOidcClient({
        issuer: url,
        clientId: CLIENT_ID,
        clientSecret: staticSecret(CLIENT_SECRET, 'test'),
        tokenAuthMethod: 'client_secret_basic',
        allowInsecure: true,
        logger: logs.logger,
        timeoutMs: IDP_TIMEOUT_MS,
        readyCacheMs: 0,
      });
      await expect(oidc.ready()).rejects.toMatchObject({ name: 'OidcError', kind: 'unavailable' });
      await expect(oidc.clientCredentials('reviews:read')).rejects.toBeInstanceOf(OidcError);

      handler = createDevIdp({
        issuer: url,
        clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: ['http://127.0.0.1:1/cb'], postLogoutRedirectUris: [] }],
      }).handler;
      await expect(oidc.ready()).resolves.toBeUndefined();
      // Readiness is live: an outage after discovery shows, and so does the recovery.
      const up = handler;
      handler = undefined;
      await expect(oidc.ready()).rejects.toMatchObject({ kind: 'unavailable' });
      handler = up;
      await expect(oidc.ready()).resolves.toBeUndefined();
      const token = await oidc.clientCredentials('reviews:read');
      expect(token.accessToken).toEqual(expect.any(String));
      expect(token.expiresIn).toBeGreaterThan(0);
      expect(await oidc.endSessionUrl({ postLogoutRedirectUri: 'http://127.0.0.1:1/' })).toMatch(/^http:\/\/127\.0\.0\.1/);
      expect(logs.text()).not.toContain(token.accessToken);
    } finally {
      await closeServer(server);
    }
  });

  it('reports a wrong client secret as rejected, not as an outage or invalid_grant', async () => {
    const logs = await recordingLogger();
    let handler: DevIdp['handler'] | undefined;
    const { server, url } = await listen((req, res) => handler!(req, res));
    handler = createDevIdp({
      issuer: url,
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: ['http://127.0.0.1:1/cb'], postLogoutRedirectUris: [] }],
    }).handler;
    try {
      const oidc = createOidcClient({
        issuer: url,
        clientId: CLIENT_ID,
        clientSecret: staticSecret('wrong-secret', 'test'),
        tokenAuthMethod: 'client_secret_basic',
        allowInsecure: true,
        logger: logs.logger,
      });
      await expect(oidc.clientCredentials('reviews:read')).rejects.toMatchObject({ kind: 'rejected', oauthError: 'invalid_client' });
      await expect(oidc.refresh('not-a-refresh-token')).rejects.toMatchObject({ kind: 'rejected' });
      expect(logs.text()).not.toContain('wrong-secret');
    } finally {
      await closeServer(server);
    }
  });

  it('refuses a plain-http issuer unless allowed', () => {
    expect(() =>
      createOidcClient({
        issuer: 'http://idp.example',
        clientId: CLIENT_ID,
        clientSecret: staticSecret(CLIENT_SECRET, 'test'),
        tokenAuthMethod: 'client_secret_basic',
        allowInsecure: false,
        logger: undefined as never,
      }),
    ).toThrow(/plain http/);
  });
});
