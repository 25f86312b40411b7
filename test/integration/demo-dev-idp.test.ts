import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { CookieJar } from 'tough-cookie';
import { getGlobalDispatcher } from 'undici';
import { createDevIdp, DEMO_USERS, startDevIdp } from '../../src/demo/dev-idp.js';
import { loginThroughIdp, logoutThroughIdp } from '../../test/support/oidc-login.js';
import {
  authorizationCodeFlow,
  clientAuth,
  type Discovery,
  discover,
  jwtClaims,
  type TestClient,
  tokenRequest,
} from '../../test/support/oidc-tokens.js';

/** Where the test relying party would live; never fetched (walks stop before it). */
const RP = 'http://127.0.0.1:1';

const basicClient: TestClient = { clientId: 'rp-basic', clientSecret: 'rp-basic-secret', redirectUri: `${RP}/cb` };
const postClient: TestClient = {
  clientId: 'rp-post',
  clientSecret: 'rp-post-secret',
  redirectUri: `${RP}/cb`,
  tokenEndpointAuthMethod: 'client_secret_post',
};

/** A relying party's back-channel logout endpoint that records what it received. */
async function startBackchannelReceiver(): Promise<{ url: string; tokens: string[]; server: Server }> {
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) tokens.push(token);
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`, tokens, server };
}

describe('dev IdP, standalone', () => {
  let idp: Awaited<ReturnType<typeof startDevIdp>>;
  let disc: Discovery;
  let backchannel: Awaited<ReturnType<typeof startBackchannelReceiver>>;

  beforeAll(async () => {
    backchannel = await startBackchannelReceiver();
    idp = await startDevIdp({
      accessTokenTtlS: 120,
      clients: [
        {
          clientId: basicClient.clientId,
          clientSecret: basicClient.clientSecret,
          redirectUris: [basicClient.redirectUri],
          postLogoutRedirectUris: [`${RP}/signed-out`],
          backchannelLogoutUri: backchannel.url,
        },
        {
          clientId: postClient.clientId,
          clientSecret: postClient.clientSecret,
          redirectUris: [postClient.redirectUri],
          postLogoutRedirectUris: [],
          tokenEndpointAuthMethod: 'client_secret_post',
        },
      ],
    });
    disc = await discover(idp.issuer);
  });

  afterAll(async () => {
    await idp?.close();
    await new Promise((resolve) => backchannel?.server.close(resolve));
  });

  it('publishes a code-only, PKCE S256 discovery document on loopback', () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(disc.issuer).toBe(idp.issuer);
    expect(disc.response_types_supported).toEqual(['code']);
    expect(disc.code_challenge_methods_supported).toEqual(['S256']);
    expect(disc.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access', 'reviews:read']));
    expect(disc.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(disc.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
    expect(disc.backchannel_logout_supported).toBe(true);
    expect(disc.backchannel_logout_session_supported).toBe(true);
    for (const endpoint of ['introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint', 'userinfo_endpoint'] as const) {
      expect(disc[endpoint]).toMatch(new RegExp(`^${idp.issuer}/`));
    }
  });

  it('signs alice in through the login form and issues tokens with sub, name and email', async () => {
    const { tokens, login, callbackUrl } = await authorizationCodeFlow({
      issuer: idp.issuer,
      client: basicClient,
      username: 'alice',
      password: 'alice',
    });
    expect(callbackUrl.searchParams.get('iss')).toBe(idp.issuer);
    expect(tokens).toEqual(
      expect.objectContaining({ token_type: 'Bearer', expires_in: 120, access_token: expect.any(String) }),
    );
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const alice = DEMO_USERS.find((u) => u.username === 'alice')!;
    expect(jwtClaims(tokens.id_token!)).toEqual(
      expect.objectContaining({ iss: idp.issuer, aud: basicClient.clientId, sub: 'alice', name: alice.name, email: alice.email, sid: expect.any(String) }),
    );

    const userinfo = await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toEqual(expect.objectContaining({ sub: 'alice', name: alice.name, email: alice.email }));

    // The front channel carries a code only: no token ever passes through the browser.
    for (const r of login.responses) {
      const seen = r.body + JSON.stringify([...r.headers]);
      for (const t of [tokens.access_token, tokens.refresh_token!, tokens.id_token!]) expect(seen).not.toContain(t);
    }
    // The login form posts `login` and `password`; nothing else was needed.
    const form = login.responses.find((r) => r.body.includes('name="password"'));
    expect(form?.status).toBe(200);
  });

  it('refuses a wrong password and shows the form again', async () => {
    const disc2 = await discover(idp.issuer);
    const url = new URL(disc2.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: basicClient.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: basicClient.redirectUri,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const result = await loginThroughIdp({ startUrl: url.href, username: 'alice', password: 'bob', stopAt: (u) => u.origin === RP });
    const last = result.responses.at(-1)!;
    expect(last.status).toBe(401);
    expect(last.body).toContain('Wrong username or password');
    expect(last.body).toContain('name="login"');
    expect(last.body).toContain('value="alice"');
    expect(result.finalUrl).not.toContain('code=');
  });

  it('requires PKCE', async () => {
    const url = new URL(disc.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: basicClient.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: basicClient.redirectUri,
    }).toString();
    const result = await loginThroughIdp({ startUrl: url.href, username: 'alice', password: 'alice', stopAt: (u) => u.origin === RP });
    const back = new URL(result.finalUrl);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('authenticates each client with its own method (client_secret_post here)', async () => {
    const { tokens } = await authorizationCodeFlow({ issuer: idp.issuer, client: postClient, username: 'bob', password: 'bob' });
    expect(jwtClaims(tokens.id_token!).sub).toBe('bob');

    const cc = await tokenRequest(disc, postClient, { grant_type: 'client_credentials', scope: 'reviews:read' });
    expect(cc.status).toBe(200);
    const wrongSecret = await tokenRequest(disc, { ...postClient, clientSecret: 'nope' }, {
      grant_type: 'client_credentials',
      scope: 'reviews:read',
    });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');
  });

  it('rotates refresh tokens and refuses a used one', async () => {
    const { tokens } = await authorizationCodeFlow({ issuer: idp.issuer, client: basicClient, username: 'bob', password: 'bob' });
    const first = await tokenRequest(disc, basicClient, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toEqual(expect.any(String));
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(first.body.access_token).not.toBe(tokens.access_token);

    const replay = await tokenRequest(disc, basicClient, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('issues client-credentials tokens with reviews:read that the resource server can introspect', async () => {
    const cc = await tokenRequest(disc, basicClient, { grant_type: 'client_credentials', scope: 'reviews:read' });
    expect(cc.status).toBe(200);
    expect(cc.body).toEqual(expect.objectContaining({ token_type: 'Bearer', scope: 'reviews:read', expires_in: 120 }));
    expect(cc.body.refresh_token).toBeUndefined();

    const introspect = async (token: string) => {
      const res = await fetch(disc.introspection_endpoint, {
        method: 'POST',
        ...clientAuth(idp.idp.resourceServer, { token }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await introspect(cc.body.access_token)).toEqual(
      expect.objectContaining({ active: true, scope: 'reviews:read', client_id: basicClient.clientId, token_type: 'Bearer' }),
    );
    expect(await introspect('not-a-token')).toEqual({ active: false });

    const bad = await fetch(disc.introspection_endpoint, {
      method: 'POST',
      ...clientAuth({ clientId: idp.idp.resourceServer.clientId, clientSecret: 'wrong' }, { token: cc.body.access_token }),
    });
    expect(bad.status).toBe(401);
  });

  it('revokes access tokens', async () => {
    const { tokens } = await authorizationCodeFlow({ issuer: idp.issuer, client: basicClient, username: 'alice', password: 'alice', scope: 'openid' });
    const revoke = await fetch(disc.revocation_endpoint, {
      method: 'POST',
      ...clientAuth(basicClient, { token: tokens.access_token, token_type_hint: 'access_token' }),
    });
    expect(revoke.status).toBe(200);
    const userinfo = await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
  });

  it('ends the session on RP-initiated logout and notifies the client on the back channel with sid', async () => {
    // Regression: once undici's global dispatcher exists (any fetch in a real process),
    // oidc-provider's default SSRF guard dropped back-channel calls to loopback clients.
    getGlobalDispatcher();
    const jar = new CookieJar();
    const { tokens } = await authorizationCodeFlow({ issuer: idp.issuer, client: basicClient, username: 'alice', password: 'alice', jar });
    const idClaims = jwtClaims(tokens.id_token!);
    backchannel.tokens.length = 0;

    const endSession = new URL(disc.end_session_endpoint);
    endSession.search = new URLSearchParams({
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `${RP}/signed-out`,
      state: 'bye',
    }).toString();
    const out = await logoutThroughIdp({ startUrl: endSession.href, jar, stopAt: (u) => u.origin === RP });
    expect(out.finalUrl).toBe(`${RP}/signed-out?state=bye`);

    expect(backchannel.tokens).toHaveLength(1);
    const logout = jwtClaims(backchannel.tokens[0]!);
    expect(logout).toEqual(
      expect.objectContaining({
        iss: idp.issuer,
        aud: basicClient.clientId,
        sub: 'alice',
        sid: idClaims.sid,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      }),
    );
    expect(logout.nonce).toBeUndefined();

    // The grant is gone with the session, and the next login asks for the password again.
    const refresh = await tokenRequest(disc, basicClient, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(refresh.body.error).toBe('invalid_grant');
    const again = await authorizationCodeFlow({ issuer: idp.issuer, client: basicClient, username: 'alice', password: 'alice', jar });
    expect(again.login.responses.some((r) => r.body.includes('name="password"'))).toBe(true);
  });
});

describe('dev IdP, mounted under an Express path prefix', () => {
  let server: Server;
  let issuer: string;
  const client: TestClient = { clientId: 'rp-mounted', clientSecret: 'rp-mounted-secret', redirectUri: `${RP}/cb` };

  beforeAll(async () => {
    const app = express();
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev-idp`;
    const idp = createDevIdp({
      issuer,
      clients: [{ clientId: client.clientId, clientSecret: client.clientSecret, redirectUris: [client.redirectUri], postLogoutRedirectUris: [] }],
    });
    app.use('/dev-idp', idp.handler);
    app.get('/', (_req, res) => {
      res.send('the host app');
    });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server?.close(() => resolve());
      server?.closeAllConnections();
    });
  });

  it('serves discovery with every endpoint under the prefix', async () => {
    const disc = await discover(issuer);
    expect(disc.issuer).toBe(issuer);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint'] as const) {
      expect(disc[key]).toMatch(new RegExp(`^${issuer}/`));
    }
    const jwks = await fetch(disc.jwks_uri);
    expect(jwks.status).toBe(200);
  });

  it('runs the whole login under the prefix, leaving the host app alone', async () => {
    const { tokens, login } = await authorizationCodeFlow({ issuer, client, username: 'bob', password: 'bob' });
    expect(jwtClaims(tokens.id_token!).sub).toBe('bob');
    for (const r of login.responses) expect(new URL(r.url).pathname).toMatch(/^\/dev-idp\//);
    // The IdP's session cookie stays under the prefix: the host app never receives it.
    const session = (await login.jar.getCookies(`${issuer}/session/end`)).find((c) => c.key === 'dev_idp_session');
    expect(session?.path).toBe('/dev-idp');
    expect(await login.jar.getCookieString(new URL('/graphql', issuer).href)).toBe('');

    const host = await fetch(new URL('/', issuer));
    expect(await host.text()).toBe('the host app');
  });
});
