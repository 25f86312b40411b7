import { beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  createLogoutTokenVerifier,
  LogoutTokenError,
} from '../../../src/auth/logout-token.js';

/**
 * The claim rules of a logout token, with a local key set and a fixed clock. The same
 * rules against the real IdP's keys, over HTTP, are in backchannel-logout.test.ts.
 */

const ISSUER = 'https://idp.example';
const NOW_S = 1_800_000_000;
let key: CryptoKey;
let verify: (token: string) => Promise<unknown>;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] });
  verify = createLogoutTokenVerifier({ issuer: ISSUER, clientId: 'bff', keys, now: () => NOW_S * 1000 });
});

const sign = (claims: Record<string, unknown>) =>
  new SignJWT({ iss: ISSUER, aud: 'bff', iat: NOW_S, jti: 'j1', events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, ...claims } as JWTPayload)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'logout+jwt' })
    .sign(key);

const reasonOf = async (claims: Record<string, unknown>) => {
  try {
    await verify(await sign(claims));
    return 'accepted';
  } catch (err) {
    if (err instanceof LogoutTokenError) return err.reason;
    throw err;
  }
};

describe('createLogoutTokenVerifier', () => {
  it('returns sid, sub and jti of a valid token', async () => {
    expect(await verify(await sign({ sid: 's1', sub: 'alice' }))).toEqual({ sid: 's1', sub: 'alice', jti: 'j1' });
    expect(await verify(await sign({ sub: 'alice' }))).toEqual({ sub: 'alice', jti: 'j1' });
    expect(await verify(await sign({ sid: 's1', aud: ['other', 'bff'] }))).toEqual({ sid: 's1', jti: 'j1' });
  });

  it('judges iat by the injected clock, with the tolerance', async () => {
    expect(await reasonOf({ sub: 'a', iat: NOW_S - 300 - 30 })).toBe('accepted');
    expect(await reasonOf({ sub: 'a', iat: NOW_S - 300 - 31 })).toBe('claim iat check_failed');
    expect(await reasonOf({ sub: 'a', iat: NOW_S + 30 })).toBe('accepted');
    expect(await reasonOf({ sub: 'a', iat: NOW_S + 31 })).toBe('claim iat check_failed');
  });

  it.each([
    ['an empty sid', { sid: '', sub: 'a' }, 'sid'],
    ['a sid that is not a string', { sid: 7, sub: 'a' }, 'sid'],
    ['a sub that is not a string', { sub: ['a'] }, 'sub'],
    ['an events claim that is an array', { sub: 'a', events: [BACKCHANNEL_LOGOUT_EVENT] }, 'events'],
    ['an events member that is null', { sub: 'a', events: { [BACKCHANNEL_LOGOUT_EVENT]: null } }, 'events'],
    ['a nonce, even empty', { sub: 'a', nonce: '' }, 'nonce'],
    ['an empty jti', { sub: 'a', jti: '' }, 'jti'],
    ['an oversized jti', { sub: 'a', jti: 'j'.repeat(257) }, 'jti'],
  ])('refuses %s', async (_what, claims, reason) => {
    expect(await reasonOf(claims)).toBe(reason);
  });
});
