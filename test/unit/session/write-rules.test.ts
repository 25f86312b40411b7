import { describe, expect, it } from '@jest/globals';
import type { SessionData } from 'express-session';
import type { AuthSession } from '../../../src/session/session-data.js';
import { decideTokenUpdate, decideWrite, ENDED, isEmptySession } from '../../../src/session/write-rules.js';

const cookie = { originalMaxAge: 1000 } as SessionData['cookie'];
const auth = (over: Partial<AuthSession> = {}): AuthSession => ({
  sub: 'alice',
  name: null,
  email: null,
  sid: null,
  loginAt: 0,
  expiresAt: 10,
  logoutId: 'login-1',
  tokens: 'blob-0',
  accessTokenExpiresAt: 1,
  tokenGeneration: 0,
  ...over,
});
const signedIn = (a: Partial<AuthSession> = {}, extra: Partial<SessionData> = {}): SessionData => ({ cookie, auth: auth(a), ...extra });
const pending = [{ state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/', createdAt: 0 }];

describe('decideWrite', () => {
  it('never writes over an ended session', () => {
    expect(decideWrite(ENDED, signedIn())).toEqual({ action: 'skip', reason: 'ended' });
    expect(decideWrite(ENDED, { cookie, pendingLogins: pending })).toEqual({ action: 'skip', reason: 'ended' });
  });

  it('ends a stored session that was emptied, and skips an empty one that was never stored', () => {
    expect(isEmptySession({ cookie })).toBe(true);
    expect(decideWrite(signedIn(), { cookie })).toEqual({ action: 'end' });
    expect(decideWrite(null, { cookie })).toEqual({ action: 'skip', reason: 'empty' });
  });

  it('creates a signed-in session only where nothing is stored', () => {
    expect(decideWrite(null, signedIn())).toMatchObject({ action: 'write', created: true });
    expect(decideWrite({ cookie, pendingLogins: pending }, signedIn())).toEqual({ action: 'skip', reason: 'login-ended' });
    expect(decideWrite(signedIn({ logoutId: 'other' }), signedIn())).toEqual({ action: 'skip', reason: 'login-ended' });
  });

  it('keeps the stored tokens when they are newer, and the rest of the incoming changes', () => {
    const d = decideWrite(signedIn({ tokens: 'blob-2', tokenGeneration: 2, accessTokenExpiresAt: 9 }), signedIn({}, { pendingLogins: pending }));
    expect(d).toEqual({
      action: 'write',
      created: false,
      session: signedIn({ tokens: 'blob-2', tokenGeneration: 2, accessTokenExpiresAt: 9 }, { pendingLogins: pending }),
    });
  });

  it('writes the incoming session when its tokens are as new or newer', () => {
    const incoming = signedIn({ tokens: 'blob-3', tokenGeneration: 3 });
    expect(decideWrite(signedIn({ tokenGeneration: 3 }), incoming)).toEqual({ action: 'write', created: false, session: incoming });
    expect(decideWrite(signedIn({ tokenGeneration: 1 }), incoming)).toEqual({ action: 'write', created: false, session: incoming });
  });

  it('writes anonymous sessions as they are', () => {
    const incoming = { cookie, pendingLogins: pending };
    expect(decideWrite(null, incoming)).toEqual({ action: 'write', created: false, session: incoming });
  });
});

describe('decideTokenUpdate', () => {
  const update = { tokens: 'blob-1', tokenGeneration: 1, accessTokenExpiresAt: 5 };

  it('writes a newer generation over the stored one', () => {
    expect(decideTokenUpdate(signedIn(), 'alice', update)).toEqual({ action: 'write', session: signedIn(update) });
  });

  it('answers with the stored auth when it is as new or newer', () => {
    expect(decideTokenUpdate(signedIn({ tokenGeneration: 1 }), 'alice', update)).toEqual({ action: 'newer', auth: auth({ tokenGeneration: 1 }) });
  });

  it('reports an absent, ended, anonymous or other user’s session as ended', () => {
    for (const current of [null, ENDED, { cookie }, signedIn({ sub: 'bob' })] as const) {
      expect(decideTokenUpdate(current, 'alice', update)).toEqual({ action: 'ended' });
    }
  });
});
