import type { SessionData } from 'express-session';
import type { AuthSession } from './session-data.js';

/**
 * The rules that keep concurrent writers of one session from undoing each other. Pure
 * functions: the session records (session-records.ts) run them inside a compare-and-set
 * loop, so each decision is made against exactly the value it then replaces.
 *
 * Why they are needed: express-session writes a request's whole copy of the session at
 * the end of the request. With requests running concurrently (on one instance or
 * several), that copy may be older than the stored one: loaded before another request
 * refreshed the tokens (writing it back would restore a refresh token the IdP already
 * rotated away, and the next refresh would look like token theft and end the grant), or
 * loaded before a logout (writing it back would revive a session the user ended).
 */

/** The stored value of a session that was ended (logout, back-channel logout, login). */
export const ENDED = 'ended';

/** A session as stored: its data, ended, or absent (never written, or expired). */
export type StoredSession = SessionData | typeof ENDED | null;

export type WriteDecision =
  | { readonly action: 'write'; readonly session: SessionData; readonly created: boolean }
  /** The session was emptied (nothing left to keep): end it. */
  | { readonly action: 'end' }
  | { readonly action: 'skip'; readonly reason: 'ended' | 'login-ended' | 'empty' };

/** True when a session holds nothing but its cookie (express-session's "uninitialized"). */
export function isEmptySession(s: SessionData): boolean {
  return Object.keys(s).every((k) => k === 'cookie');
}

/**
 * What to store when a request writes `incoming` over `current`:
 * - an ended session stays ended, whatever a late request holds;
 * - an emptied session ends (an empty one that was never stored is not written at all);
 * - a signed-in session is created only where nothing is stored (the login callback
 *   always writes under a fresh id), and otherwise updates only the same login: a copy
 *   whose login is no longer the stored one is dropped;
 * - tokens never go back in time: when the stored `tokenGeneration` is newer than the
 *   request's, the stored tokens are kept and the rest of the request's changes applied.
 */
export function decideWrite(current: StoredSession, incoming: SessionData): WriteDecision {
  if (current === ENDED) return { action: 'skip', reason: 'ended' };
  if (isEmptySession(incoming)) return current ? { action: 'end' } : { action: 'skip', reason: 'empty' };
  const auth = incoming.auth;
  if (!auth) return { action: 'write', session: incoming, created: false };
  if (current === null) return { action: 'write', session: incoming, created: true };
  const stored = current.auth;
  if (!stored || stored.logoutId !== auth.logoutId) return { action: 'skip', reason: 'login-ended' };
  if (stored.tokenGeneration > auth.tokenGeneration) {
    return { action: 'write', session: { ...incoming, auth: { ...auth, ...tokenFields(stored) } }, created: false };
  }
  return { action: 'write', session: incoming, created: false };
}

/** The fields of a signed-in session that a token refresh changes. */
export type TokenFields = Pick<AuthSession, 'tokens' | 'accessTokenExpiresAt' | 'tokenGeneration'>;

export function tokenFields(a: AuthSession): TokenFields {
  return { tokens: a.tokens, accessTokenExpiresAt: a.accessTokenExpiresAt, tokenGeneration: a.tokenGeneration };
}

export type TokenUpdateDecision =
  | { readonly action: 'write'; readonly session: SessionData }
  /** The store already holds this generation or a newer one: use that. */
  | { readonly action: 'newer'; readonly auth: AuthSession }
  /** The session (or its login of `sub`) is over. */
  | { readonly action: 'ended' };

/** What a token refresh of `sub`'s session stores over `current`. */
export function decideTokenUpdate(current: StoredSession, sub: string, update: TokenFields): TokenUpdateDecision {
  if (current === null || current === ENDED || !current.auth || current.auth.sub !== sub) return { action: 'ended' };
  if (current.auth.tokenGeneration >= update.tokenGeneration) return { action: 'newer', auth: current.auth };
  return { action: 'write', session: { ...current, auth: { ...current.auth, ...update } } };
}
