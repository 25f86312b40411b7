import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { JWK } from 'oidc-provider';
import type { CookieJar } from 'tough-cookie';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/auth/index.js';
import { DEMO } from '../../src/config/index.js';
import type { RedisClient } from '../../src/session/index.js';
import { logoutThroughIdp } from '../support/oidc-login.js';
import { redisClient, storedSession, storedTokens } from '../support/session-cookie.js';
import { type BffInstance, type Stack, startStack } from '../support/stack.js';

/**
 * OpenID Connect Back-Channel Logout 1.0 against two BFF instances sharing a real Redis
 * and the real dev IdP, which signs with a key this suite holds, so that the suite can
 * write logout tokens the BFF must take for the IdP's, and break them one rule at a
 * time. The IdP posts its own back-channel logouts to instance A only (one URI per
 * client, as behind a load balancer); sessions end wherever they were created.
 */

const KID = 'test-idp-key';
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let stack: Stack;
let redis: RedisClient;
let a: BffInstance;
let b: BffInstance;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.privateKey)), kid: KID, alg: 'RS256', use: 'sig' } as JWK;
  stack = await startStack({ redis: true, instances: 2, idpSigningKeys: [jwk] });
  [a, b] = stack.instances as [BffInstance, BffInstance];
  redis = await redisClient(stack.redisUrl!);
});
afterAll(async () => {
  await redis?.quit();
  await stack?.close();
});

const nowS = () => Math.floor(Date.now() / 1000);

/** A logout token as the IdP would sign it, with `claims` merged over valid ones (undefined removes one). */
async function logoutToken(
  claims: Record<string, unknown>,
  opts: { key?: CryptoKey | Uint8Array; alg?: string; kid?: string } = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: stack.issuer,
    aud: DEMO.clientId,
    iat: nowS(),
    exp: nowS() + 120,
    jti: randomBytes(12).toString('base64url'),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload as JWTPayload)
    .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? KID, typ: 'logout+jwt' })
    .sign(opts.key ?? signingKey);
}

/** POSTs to the back-channel endpoint the way the IdP does (form-encoded, no cookie, no Origin). */
function post(body: string | URLSearchParams, instance: BffInstance = a, contentType = 'application/x-www-form-urlencoded') {
  return stack.fetch('/auth/backchannel-logout', { method: 'POST', instance, headers: { 'content-type': contentType }, body });
}
const postToken = (token: string, instance?: BffInstance) => post(new URLSearchParams({ logout_token: token }), instance);

/** The `/auth/user` status of the jar on each instance. */
const statusEverywhere = async (jar: CookieJar) =>
  Promise.all(stack.instances.map(async (instance) => (await stack.fetch('/auth/user', { jar, instance, headers: { 'x-csrf': '1' } })).status));

/** The IdP's `sid` for the jar's session, as the BFF stored it from the ID token. */
async function idpSid(jar: CookieJar): Promise<string> {
  const { sid } = (await storedSession(redis, jar, a)).auth;
  if (!sid) throw new Error('the IdP sent no sid');
  return sid;
}

describe('POST /auth/backchannel-logout', () => {
  it('ends the session named by sid on every instance, and no other', async () => {
    const first = await stack.login('alice', 'alice', a);
    const second = await stack.login('alice', 'alice', b);
    const sid = await idpSid(second);
    expect(sid).not.toBe(await idpSid(first));

    const res = await postToken(await logoutToken({ sub: 'alice', sid }), a);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await statusEverywhere(second)).toEqual([401, 401]);
    expect(await statusEverywhere(first)).toEqual([200, 200]);
  });

  it('ends every session of the user named by sub alone, on every instance', async () => {
    const bobs = [await stack.login('bob', 'bob', a), await stack.login('bob', 'bob', b)];
    const alice = await stack.login('alice', 'alice', b);
    const res = await postToken(await logoutToken({ sub: 'bob' }), b);
    expect(res.status).toBe(200);
    for (const jar of bobs) expect(await statusEverywhere(jar)).toEqual([401, 401]);
    expect(await statusEverywhere(alice)).toEqual([200, 200]);
  });

  it('a replayed logout_token jti is refused, and ends nothing', async () => {
    await stack.login('bob', 'bob', a);
    const token = await logoutToken({ sub: 'bob' });
    expect((await postToken(token, a)).status).toBe(200);
    // Bob signs in again; the old token (on any instance), or a new one reusing its jti, must not end that.
    const again = await stack.login('bob', 'bob', b);
    expect((await postToken(token, b)).status).toBe(400);
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    expect((await postToken(await logoutToken({ sub: 'bob', jti }), a)).status).toBe(400);
    expect(await statusEverywhere(again)).toEqual([200, 200]);
  });

  describe('refuses with 400 and ends nothing', () => {
    let victim: CookieJar;
    let sid: string;
    beforeAll(async () => {
      victim = await stack.login('alice', 'alice', b);
      sid = await idpSid(victim);
    });

    /** Why the last token was refused, as the BFF logged it (a fixed code, never the token). */
    const lastRefusal = () => {
      const line = stack.logLines.findLast((l) => l.includes('back-channel logout refused'));
      return line ? (JSON.parse(line) as { reason: string }).reason : undefined;
    };
    const refusedFor = async (body: string | URLSearchParams, reason: string, contentType?: string) => {
      const res = await post(body, a, contentType);
      expect(res.status).toBe(400);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(JSON.parse(res.text_)).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
      expect(lastRefusal()).toBe(reason);
      expect(await statusEverywhere(victim)).toEqual([200, 200]);
    };
    const form = (token: string) => new URLSearchParams({ logout_token: token });

    const variants: Array<{ name: string; token: () => Promise<string>; reason: string }> = [
      { name: 'a token signed with a key that is not the IdP’s', token: () => logoutToken({ sub: 'alice', sid }, { key: otherKey }), reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
      {
        name: 'an unsigned token (alg none)',
        token: async () => {
          const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'logout+jwt' })).toString('base64url');
          return `${header}.${(await logoutToken({ sub: 'alice', sid })).split('.')[1]}.`;
        },
        reason: 'ERR_JOSE_ALG_NOT_ALLOWED',
      },
      {
        name: 'a token MAC’d with the client secret (HS256)',
        token: () => logoutToken({ sub: 'alice', sid }, { key: new TextEncoder().encode(DEMO.clientSecret), alg: 'HS256' }),
        reason: 'ERR_JOSE_ALG_NOT_ALLOWED',
      },
      { name: 'a wrong iss', token: () => logoutToken({ sub: 'alice', sid, iss: 'https://evil.example' }), reason: 'claim iss check_failed' },
      { name: 'a wrong aud', token: () => logoutToken({ sub: 'alice', sid, aud: 'another-client' }), reason: 'claim aud check_failed' },
      { name: 'an iat older than the allowed age', token: () => logoutToken({ sub: 'alice', sid, iat: nowS() - 600, exp: undefined }), reason: 'claim iat check_failed' },
      { name: 'an iat in the future', token: () => logoutToken({ sub: 'alice', sid, iat: nowS() + 600, exp: nowS() + 700 }), reason: 'claim iat check_failed' },
      { name: 'an exp in the past', token: () => logoutToken({ sub: 'alice', sid, iat: nowS() - 100, exp: nowS() - 60 }), reason: 'claim exp check_failed' },
      { name: 'no events claim', token: () => logoutToken({ sub: 'alice', sid, events: undefined }), reason: 'claim events missing' },
      {
        name: 'events without the back-channel logout member',
        token: () => logoutToken({ sub: 'alice', sid, events: { 'http://schemas.openid.net/event/other': {} } }),
        reason: 'events',
      },
      {
        name: 'a back-channel logout event that is not an object',
        token: () => logoutToken({ sub: 'alice', sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: 'yes' } }),
        reason: 'events',
      },
      { name: 'a nonce (an ID token is not a logout token)', token: () => logoutToken({ sub: 'alice', sid, nonce: 'n-0123' }), reason: 'nonce' },
      { name: 'neither sid nor sub', token: () => logoutToken({}), reason: 'no sid or sub' },
      { name: 'no jti', token: () => logoutToken({ sub: 'alice', sid, jti: undefined }), reason: 'claim jti missing' },
      { name: 'not a JWT', token: async () => 'not-a-jwt', reason: 'ERR_JWS_INVALID' },
    ];

    it.each(variants)('$name', async ({ token, reason }) => {
      await refusedFor(form(await token()), reason);
    });

    it('a form without logout_token, an empty body, or JSON instead of a form', async () => {
      await refusedFor(new URLSearchParams({ token: 'x' }), 'missing');
      await refusedFor('', 'missing');
      await refusedFor(JSON.stringify({ logout_token: await logoutToken({ sub: 'alice', sid }) }), 'missing', 'application/json');
    });

    it('an ID token of the user, presented as a logout token', async () => {
      const idToken = (await storedTokens(redis, victim, b)).tokens.idToken!;
      await refusedFor(form(idToken), 'claim events missing');
    });
  });

  it('is sent by the dev IdP when the user signs out there, and ends the session on every instance', async () => {
    const jar = await stack.login('alice', 'alice', b);
    let delivered = 0;
    const onSuccess = () => void delivered++;
    stack.idp.provider.on('backchannel.success', onSuccess);
    try {
      // Signing out at the IdP itself (another app's sign-out button), not through the BFF.
      const walk = await logoutThroughIdp({ startUrl: `${stack.issuer}/session/end`, jar });
      expect(walk.responses.at(-1)?.body).toContain('signed out');
    } finally {
      stack.idp.provider.off('backchannel.success', onSuccess);
    }
    expect(delivered).toBe(1);
    expect(await statusEverywhere(jar)).toEqual([401, 401]);
  });
});
