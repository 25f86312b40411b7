import type { SessionData } from 'express-session';
import type { AuthSession } from './session-data.js';
import type { SharedState } from './shared-state.js';
import { decideTokenUpdate, decideWrite, ENDED, type StoredSession, type TokenFields } from './write-rules.js';

/**
 * The compare-and-set engine of the session store: sessions as records in the shared
 * state (Redis or memory), every write decided by write-rules.ts against exactly the
 * value it replaces, ended sessions kept as tombstones, signed-in sessions indexed by the
 * IdP's `sid` and `sub` for back-channel logout. It knows nothing of express-session;
 * the adapters in store.ts put it behind express-session's `Store`.
 */

export interface SessionRecordsOptions {
  /**
   * How long an ended session is remembered as ended, in milliseconds, so that a request
   * still running when it ended cannot write it back. Longer than any request can take.
   * Default `600_000`.
   */
  readonly endedTtlMs?: number;
  /** Attempts of one conditional write before it fails (each loses only to a concurrent write). Default `10`. */
  readonly maxWriteAttempts?: number;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/** Which sessions a back-channel logout names: by the IdP's session id, its user, or both. */
export interface SessionSelector {
  readonly sid?: string;
  readonly sub?: string;
}

/** Redis TTL when a session carries no cookie expiry (never the case with our middleware). */
const FALLBACK_TTL_S = 24 * 60 * 60;

/**
 * The store's expiry for a session written or touched now: its idle window from now,
 * but never past the absolute end of a signed-in session. A result <= 0 means the session
 * is over (the store then ends it instead of writing it).
 */
export function sessionTtlSeconds(sess: SessionData, now: number): number {
  const window = sess.cookie?.originalMaxAge;
  const idleEnd =
    typeof window === 'number'
      ? now + window
      : sess.cookie?.expires
        ? new Date(sess.cookie.expires).getTime()
        : now + FALLBACK_TTL_S * 1000;
  const end = sess.auth ? Math.min(idleEnd, sess.auth.expiresAt) : idleEnd;
  return Math.ceil((end - now) / 1000);
}

export const sessionKey = (id: string) => `sess:${id}`;
const indexKey = (by: 'sid' | 'sub', value: string) => `sess-by-${by}:${value}`;

/** One step of a compare-and-set loop: write `value` in place of what was read, or stop with a result. */
type Step<T> =
  | { readonly write: string; readonly ttlMs: number; readonly result: T; readonly before?: () => Promise<void> }
  | { readonly end: true; readonly result: T }
  | { readonly stop: true; readonly result: T };

/**
 * The sessions as records in the shared state, with every write a compare-and-set under
 * the rules of write-rules.ts. Both store adapters (store.ts) run their writes through it.
 */
export class SessionRecords {
  readonly #state: SharedState;
  readonly #now: () => number;
  readonly #endedTtlMs: number;
  readonly #maxAttempts: number;

  constructor(state: SharedState, opts: SessionRecordsOptions = {}) {
    this.#state = state;
    this.#now = opts.now ?? Date.now;
    this.#endedTtlMs = opts.endedTtlMs ?? 600_000;
    this.#maxAttempts = opts.maxWriteAttempts ?? 10;
  }

  async read(sessionId: string): Promise<SessionData | null> {
    const s = parseStored(await this.#state.get(sessionKey(sessionId)));
    return s === ENDED ? null : s;
  }

  async expiresAt(sessionId: string): Promise<number | null> {
    const ttl = await this.#state.ttlMs(sessionKey(sessionId));
    return ttl === null ? null : this.#now() + ttl;
  }

  /** Pushes a session's expiry forward (its idle window from now, capped at its absolute end). */
  async touch(sid: string, sess: SessionData): Promise<void> {
    const ttlS = sessionTtlSeconds(sess, this.#now());
    if (ttlS > 0) await this.#state.expire(sessionKey(sid), ttlS * 1000);
  }

  updateTokens(sessionId: string, sub: string, update: TokenFields): Promise<AuthSession | null> {
    return this.#mutate<AuthSession | null>(sessionId, (current) => {
      const d = decideTokenUpdate(current, sub, update);
      if (d.action === 'ended') return { stop: true, result: null };
      if (d.action === 'newer') return { stop: true, result: d.auth };
      return { write: JSON.stringify(d.session), ttlMs: this.#ttlMs(d.session), result: d.session.auth! };
    });
  }

  async endSessions({ sid, sub }: SessionSelector): Promise<number> {
    const [bySid, bySub] = await Promise.all([
      sid === undefined ? undefined : this.#state.members(indexKey('sid', sid)),
      sub === undefined ? undefined : this.#state.members(indexKey('sub', sub)),
    ]);
    const ids = bySid && bySub ? bySid.filter((id) => bySub.includes(id)) : (bySid ?? bySub ?? []);
    const ended = await Promise.all(ids.map((id) => this.end(id)));
    return ended.filter(Boolean).length;
  }

  #ttlMs(s: SessionData): number {
    return sessionTtlSeconds(s, this.#now()) * 1000;
  }

  write(sid: string, sess: SessionData): Promise<void> {
    // A plain copy: express-session hands over its live Session object (with a Cookie).
    const incoming = JSON.parse(JSON.stringify(sess)) as SessionData;
    return this.#mutate<void>(sid, (current) => {
      const d = decideWrite(current, incoming);
      if (d.action === 'skip') return { stop: true, result: undefined };
      if (d.action === 'end') return { end: true, result: undefined };
      const auth = d.session.auth;
      return {
        write: JSON.stringify(d.session),
        ttlMs: this.#ttlMs(d.session),
        result: undefined,
        // Indexed before it is written: a back-channel logout arriving in between then
        // finds the id and ends it, and the write below loses its compare-and-set.
        ...(d.created && auth ? { before: () => this.#index(sid, auth) } : {}),
      };
    });
  }

  /**
   * Reads the session, lets `decide` choose, and writes only if nothing changed in
   * between; otherwise reads again. A session written or ended meanwhile is decided on
   * afresh, so no decision is ever applied to a value it did not see.
   */
  async #mutate<T>(sid: string, decide: (current: StoredSession) => Step<T>): Promise<T> {
    const key = sessionKey(sid);
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      const raw = await this.#state.get(key);
      const current = parseStored(raw);
      const step = decide(current);
      if ('stop' in step) return step.result;
      if ('end' in step || step.ttlMs <= 0) {
        await this.end(sid, current);
        return step.result;
      }
      await step.before?.();
      if (await this.#state.compareAndSet(key, raw, step.write, step.ttlMs)) return step.result;
    }
    throw new Error(`session write lost ${this.#maxAttempts} times in a row to concurrent writes`);
  }

  /** Ends a session: a tombstone in its place, and out of the indexes. Resolves whether it was live. */
  async end(sid: string, known?: StoredSession): Promise<boolean> {
    const current = known === undefined ? parseStored(await this.#state.get(sessionKey(sid))) : known;
    if (current === ENDED) return false;
    await this.#state.set(sessionKey(sid), ENDED, this.#endedTtlMs);
    if (current?.auth) await this.#unindex(sid, current.auth);
    return current !== null;
  }

  /** The index lives as long as the newest session in it can (its absolute end). */
  async #index(sid: string, auth: AuthSession): Promise<void> {
    const ttlMs = auth.expiresAt - this.#now();
    await Promise.all([
      this.#state.addToSet(indexKey('sub', auth.sub), sid, ttlMs),
      ...(auth.sid ? [this.#state.addToSet(indexKey('sid', auth.sid), sid, ttlMs)] : []),
    ]);
  }

  async #unindex(sid: string, auth: AuthSession): Promise<void> {
    await Promise.all([
      this.#state.removeFromSet(indexKey('sub', auth.sub), sid),
      ...(auth.sid ? [this.#state.removeFromSet(indexKey('sid', auth.sid), sid)] : []),
    ]);
  }
}

/**
 * A stored value: session data, ENDED, or null. Anything unreadable counts as ended: a
 * corrupted entry is no session, and no late write may turn it back into one.
 */
export function parseStored(raw: string | null): StoredSession {
  if (raw === null) return null;
  if (raw === ENDED) return ENDED;
  try {
    const value = JSON.parse(raw) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SessionData) : ENDED;
  } catch {
    return ENDED;
  }
}
