import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { type OidcClient, OidcError, type TokenResult } from '../../../src/auth/oidc-client.js';
import { createTokenRefresher, SessionEndedError, type TokenRefresherOptions } from '../../../src/auth/token-refresher.js';
import { createLock, createMemoryState, type TokenGeneration, type TokenVault } from '../../../src/session/index.js';

const logger = pino({ level: 'silent' });

/** A vault over a plain map (the store's own rules are tested with the store). */
function mapVault(initial?: TokenGeneration) {
  const stored = new Map<string, TokenGeneration>();
  if (initial) stored.set('s1', initial);
  const vault: TokenVault = {
    read: async (id) => stored.get(id) ?? null,
    write: async (id, _sub, next) => {
      const current = stored.get(id);
      if (!current) return null;
      if (current.generation >= next.generation) return current;
      stored.set(id, next);
      return next;
    },
  };
  return { vault, stored };
}

/** A refresher whose store starts with generation 0 of session s1 (refresh token `rt`). */
function refresherFor(oidc: OidcClient, rt = 'rt-0', extra: Partial<TokenRefresherOptions> = {}) {
  const { vault, stored } = mapVault({ generation: 0, tokens: { accessToken: 'at-0', refreshToken: rt, idToken: 'id-0' } });
  const refresher = createTokenRefresher({ oidc, logger, vault, lock: createLock({ state: createMemoryState() }), ...extra });
  return { refresher, stored };
}

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
    const { refresher } = refresherFor(idp.oidc);
    const results = await Promise.all([1, 2, 3].map(() => refresher.refresh(subject(0, 'rt-0'))));
    expect(idp.used).toEqual(['rt-0']);
    for (const r of results) expect(r).toEqual({ generation: 1, tokens: { accessToken: 'at-1', refreshToken: 'rt-1', idToken: 'id-0', accessTokenExpiresAt: 1000 } });
  });

  it('hands a stale caller the newer tokens instead of reusing a rotated refresh token', async () => {
    const idp = rotatingIdp();
    const { refresher } = refresherFor(idp.oidc);
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
    const { refresher } = refresherFor(oidc, 'rt-keep');
    expect((await refresher.refresh(subject(3, 'rt-keep'))).tokens).toEqual({
      accessToken: 'at-new',
      refreshToken: 'rt-keep',
      idToken: 'id-0',
      accessTokenExpiresAt: 5,
    });
  });

  it('refuses a refresh answered for another subject, and a session without refresh token', async () => {
    const oidc = { refresh: async () => ({ accessToken: 'x', sub: 'mallory' }) } as unknown as OidcClient;
    const { refresher, stored } = refresherFor(oidc, 'rt');
    await expect(refresher.refresh(subject(0, 'rt'))).rejects.toMatchObject({ kind: 'invalid_grant' });
    stored.set('s2', { generation: 0, tokens: { accessToken: 'a' } });
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
    const { refresher } = refresherFor(oidc, 'rt');
    await expect(refresher.refresh(subject(0, 'rt'))).rejects.toMatchObject({ kind: 'unavailable' });
    fail = false;
    expect((await refresher.refresh(subject(0, 'rt'))).tokens.accessToken).toBe('ok');
  });
});

describe('createTokenRefresher across instances', () => {
  it('calls the IdP once for two instances refreshing one session at once, and both get the result', async () => {
    const idp = rotatingIdp();
    const { vault, stored } = mapVault({ generation: 0, tokens: { accessToken: 'at-0', refreshToken: 'rt-0' } });
    const state = createMemoryState();
    const [one, two] = [1, 2].map(() => createTokenRefresher({ oidc: idp.oidc, logger, vault, lock: createLock({ state, pollMs: 1 }) }));
    const results = await Promise.all([one!.refresh(subject(0, 'rt-0')), two!.refresh(subject(0, 'rt-0'))]);
    expect(idp.used).toEqual(['rt-0']);
    expect(results.map((r) => r.tokens.accessToken)).toEqual(['at-1', 'at-1']);
    expect(stored.get('s1')?.generation).toBe(1);
  });

  it('uses a generation another instance already stored, without calling the IdP', async () => {
    const idp = rotatingIdp();
    const { refresher, stored } = refresherFor(idp.oidc);
    stored.set('s1', { generation: 4, tokens: { accessToken: 'at-4', refreshToken: 'rt-4' } });
    expect(await refresher.refresh(subject(0, 'rt-0'))).toEqual({ generation: 4, tokens: { accessToken: 'at-4', refreshToken: 'rt-4' } });
    expect(idp.used).toEqual([]);
    // And remembers it for this process's later requests.
    expect(refresher.newer('s1', 0)?.generation).toBe(4);
  });

  it('stores the new tokens before it releases the lock', async () => {
    const idp = rotatingIdp();
    const events: string[] = [];
    const { vault } = mapVault({ generation: 0, tokens: { accessToken: 'at-0', refreshToken: 'rt-0' } });
    const refresher = createTokenRefresher({
      oidc: idp.oidc,
      logger,
      vault: { read: vault.read, write: async (...args) => (events.push('write'), vault.write(...args)) },
      lock: {
        run: async (_name, work) => {
          events.push('lock');
          try {
            return await work();
          } finally {
            events.push('unlock');
          }
        },
      },
    });
    await refresher.refresh(subject(0, 'rt-0'));
    expect(events).toEqual(['lock', 'write', 'unlock']);
  });

  it('reports a session that ended before or during the refresh as SessionEndedError', async () => {
    const idp = rotatingIdp();
    const { refresher, stored } = refresherFor(idp.oidc);
    stored.delete('s1');
    await expect(refresher.refresh(subject(0, 'rt-0'))).rejects.toBeInstanceOf(SessionEndedError);
    expect(idp.used).toEqual([]);

    const during = refresherFor(idp.oidc, 'rt-0', {
      vault: { read: async () => ({ generation: 0, tokens: { accessToken: 'at-0', refreshToken: 'rt-0' } }), write: async () => null },
    });
    await expect(during.refresher.refresh(subject(0, 'rt-0'))).rejects.toBeInstanceOf(SessionEndedError);
  });

  it('answers a lock held too long by another instance as the IdP being unavailable', async () => {
    const state = createMemoryState();
    await state.setIfAbsent('lock:refresh:s1', 'someone-else', 60_000);
    const idp = rotatingIdp();
    const { refresher } = refresherFor(idp.oidc, 'rt-0', { lock: createLock({ state, waitMs: 30, pollMs: 5 }) });
    await expect(refresher.refresh(subject(0, 'rt-0'))).rejects.toMatchObject({ name: 'OidcError', kind: 'unavailable' });
    expect(idp.used).toEqual([]);
  });
});
