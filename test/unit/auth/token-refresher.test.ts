import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { type OidcClient, OidcError, type TokenResult } from '../../../src/auth/oidc-client.js';
import { createTokenRefresher } from '../../../src/auth/token-refresher.js';

const logger = pino({ level: 'silent' });

/** An IdP stand-in that rotates refresh tokens and refuses a reused one, like the dev IdP. */
function rotatingIdp() {
  const used: string[] = [];
  let n = 0;
  let valid = new Set(['rt-0']);
  const oidc = {
    refresh: async (rt: string): Promise<TokenResult> => {
      used.push(rt);
      await new Promise((r) => setImmediate(r));
      if (!valid.has(rt)) throw new OidcError('invalid_grant', 'reused');
      n++;
      valid = new Set([`rt-${n}`]);
      return { accessToken: `at-${n}`, refreshToken: `rt-${n}`, expiresAt: 1000 * n, expiresIn: 300, sub: 'alice' };
    },
  } as unknown as OidcClient;
  return { oidc, used };
}

const subject = (generation: number, refreshToken: string) => ({
  sessionId: 's1',
  sub: 'alice',
  generation,
  tokens: { accessToken: `at-${generation}`, refreshToken, idToken: 'id-0' },
});

describe('createTokenRefresher', () => {
  it('shares one refresh between concurrent callers of a session', async () => {
    const idp = rotatingIdp();
    const refresher = createTokenRefresher({ oidc: idp.oidc, logger });
    const results = await Promise.all([1, 2, 3].map(() => refresher.refresh(subject(0, 'rt-0'))));
    expect(idp.used).toEqual(['rt-0']);
    for (const r of results) expect(r).toEqual({ generation: 1, tokens: { accessToken: 'at-1', refreshToken: 'rt-1', idToken: 'id-0', accessTokenExpiresAt: 1000 } });
  });

  it('hands a stale caller the newer tokens instead of reusing a rotated refresh token', async () => {
    const idp = rotatingIdp();
    const refresher = createTokenRefresher({ oidc: idp.oidc, logger });
    await refresher.refresh(subject(0, 'rt-0'));
    // A request that loaded the session before that refresh still holds generation 0.
    expect(refresher.newer('s1', 0)?.generation).toBe(1);
    expect(refresher.newer('s1', 1)).toBeUndefined();
    expect(await refresher.refresh(subject(0, 'rt-0'))).toMatchObject({ generation: 1 });
    expect(idp.used).toEqual(['rt-0']);
    // The holder of the latest generation refreshes for real, with the rotated token.
    expect(await refresher.refresh(subject(1, 'rt-1'))).toMatchObject({ generation: 2, tokens: { refreshToken: 'rt-2' } });
    expect(idp.used).toEqual(['rt-0', 'rt-1']);
  });

  it('keeps the old refresh token when the IdP does not rotate', async () => {
    const oidc = { refresh: async () => ({ accessToken: 'at-new', expiresAt: 5 }) } as unknown as OidcClient;
    const refresher = createTokenRefresher({ oidc, logger });
    expect((await refresher.refresh(subject(3, 'rt-keep'))).tokens).toEqual({
      accessToken: 'at-new',
      refreshToken: 'rt-keep',
      idToken: 'id-0',
      accessTokenExpiresAt: 5,
    });
  });

  it('refuses a refresh answered for another subject, and a session without refresh token', async () => {
    const oidc = { refresh: async () => ({ accessToken: 'x', sub: 'mallory' }) } as unknown as OidcClient;
    const refresher = createTokenRefresher({ oidc, logger });
    await expect(refresher.refresh(subject(0, 'rt'))).rejects.toMatchObject({ kind: 'invalid_grant' });
    await expect(
      refresher.refresh({ sessionId: 's2', sub: 'alice', generation: 0, tokens: { accessToken: 'a' } }),
    ).rejects.toMatchObject({ kind: 'invalid_grant' });
  });

  it('lets the next caller try again after a failure', async () => {
    let fail = true;
    const oidc = {
      refresh: async () => {
        if (fail) throw new OidcError('unavailable', 'down');
        return { accessToken: 'ok' };
      },
    } as unknown as OidcClient;
    const refresher = createTokenRefresher({ oidc, logger });
    await expect(refresher.refresh(subject(0, 'rt'))).rejects.toMatchObject({ kind: 'unavailable' });
    fail = false;
    expect((await refresher.refresh(subject(0, 'rt'))).tokens.accessToken).toBe('ok');
  });
});
