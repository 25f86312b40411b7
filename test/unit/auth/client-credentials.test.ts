import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createClientCredentialsToken } from '../../../src/auth/client-credentials.js';
import { AuthError } from '../../../src/auth/errors.js';
import { type OidcClient, OidcError, type TokenResult } from '../../../src/auth/oidc-client.js';

const logger = pino({ level: 'silent' });

/**
 * An OidcClient whose client-credentials grant hands out numbered tokens, each answer
 * held until the test lets the IdP answer (`answer`), so callers overlap. The
 * integration suite runs the same behaviour against the real dev IdP.
 */
function tokenIssuer(expiresIn: number | null = 300) {
  const calls: string[] = [];
  const waiting: Array<() => void> = [];
  let fail: OidcError | undefined;
  const oidc = {
    clientCredentials: async (scope: string): Promise<TokenResult> => {
      calls.push(scope);
      const n = calls.length;
      await new Promise<void>((resolve) => waiting.push(resolve));
      if (fail) throw fail;
      return { accessToken: `cc-${n}`, ...(expiresIn !== null ? { expiresIn } : {}) };
    },
  } as unknown as OidcClient;
  return {
    oidc,
    calls,
    /** Lets the IdP answer the grants `pending` started, then resolves with it. */
    answer: async <T>(pending: Promise<T>): Promise<T> => {
      await tick();
      waiting.splice(0).forEach((r) => r());
      return pending;
    },
    failWith: (e: OidcError | undefined) => (fail = e),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('createClientCredentialsToken', () => {
  it('fetches once for all concurrent callers and caches the token', async () => {
    const issuer = tokenIssuer();
    const cred = createClientCredentialsToken({ oidc: issuer.oidc, scope: 'reviews:read', logger });
    const headers = await issuer.answer(Promise.all(Array.from({ length: 20 }, () => cred.headers())));
    expect(new Set(headers.map((h) => h.authorization))).toEqual(new Set(['Bearer cc-1']));
    expect(await cred.headers()).toEqual({ authorization: 'Bearer cc-1' });
    expect(issuer.calls).toEqual(['reviews:read']);
  });

  it('fetches again shortly before expiry', async () => {
    let now = 0;
    const issuer = tokenIssuer(300);
    const cred = createClientCredentialsToken({ oidc: issuer.oidc, scope: 's', logger, now: () => now });
    const first = issuer.answer(cred.headers());
    await first;
    now = 269_999;
    expect(await cred.headers()).toEqual({ authorization: 'Bearer cc-1' });
    now = 270_000; // 30 s before expiry
    const second = issuer.answer(cred.headers());
    expect(await second).toEqual({ authorization: 'Bearer cc-2' });
    expect(issuer.calls).toHaveLength(2);
  });

  it('renew() refetches once for a burst of 401s', async () => {
    let now = 0;
    const issuer = tokenIssuer();
    const cred = createClientCredentialsToken({ oidc: issuer.oidc, scope: 's', logger, now: () => now });
    const first = issuer.answer(cred.headers());
    await first;
    now = 10_000;
    expect(await issuer.answer(Promise.all(Array.from({ length: 5 }, () => cred.renew())))).toEqual([true, true, true, true, true]);
    // A late 401 for the old token within a second of the renewal does not refetch.
    now = 10_500;
    expect(await cred.renew()).toBe(true);
    expect(await cred.headers()).toEqual({ authorization: 'Bearer cc-2' });
    expect(issuer.calls).toHaveLength(2);
  });

  it('renew(refused) fetches once for every call refused with the same token, however late its 401 comes', async () => {
    let now = 0;
    const issuer = tokenIssuer();
    const cred = createClientCredentialsToken({ oidc: issuer.oidc, scope: 's', logger, now: () => now });
    const first = issuer.answer(cred.headers());
    const old = await first;
    now = 10_000;
    expect(await issuer.answer(Promise.all(Array.from({ length: 5 }, () => cred.renew(old))))).toEqual([true, true, true, true, true]);
    // A 401 for the old token long after the renewal: retry with the new one, no fetch.
    now = 60_000;
    expect(await cred.renew(old)).toBe(true);
    expect(await cred.headers()).toEqual({ authorization: 'Bearer cc-2' });
    expect(issuer.calls).toHaveLength(2);
  });

  it('renew(refused) does not replace a token younger than minRenewIntervalMs: nothing new to try', async () => {
    let now = 0;
    const issuer = tokenIssuer();
    const cred = createClientCredentialsToken({ oidc: issuer.oidc, scope: 's', logger, now: () => now, minRenewIntervalMs: 1000 });
    const first = issuer.answer(cred.headers());
    const token = await first;
    now = 999;
    expect(await cred.renew(token)).toBe(false);
    now = 1000;
    const renewal = issuer.answer(cred.renew(token));
    expect(await renewal).toBe(true);
    expect(issuer.calls).toHaveLength(2);
  });

  it('reports an unreachable IdP as IDP_UNAVAILABLE and tries again on the next call', async () => {
    const issuer = tokenIssuer();
    const cred = createClientCredentialsToken({ oidc: issuer.oidc, scope: 's', logger });
    issuer.failWith(new OidcError('unavailable', 'down'));
    const failing = issuer.answer(cred.headers());
    await expect(failing).rejects.toMatchObject({ name: 'AuthError', code: 'IDP_UNAVAILABLE' });
    await expect(failing).rejects.toBeInstanceOf(AuthError);
    issuer.failWith(undefined);
    const next = issuer.answer(cred.headers());
    expect(await next).toEqual({ authorization: 'Bearer cc-2' });
  });

  it('keeps a token without a stated lifetime until renew()', async () => {
    let now = 0;
    const issuer = tokenIssuer(null);
    const cred = createClientCredentialsToken({ oidc: issuer.oidc, scope: 's', logger, now: () => now });
    const first = issuer.answer(cred.headers());
    await first;
    now = 10 * 24 * 3600_000;
    expect(await cred.headers()).toEqual({ authorization: 'Bearer cc-1' });
    expect(issuer.calls).toHaveLength(1);
  });
});
