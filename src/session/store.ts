import { RedisStore } from 'connect-redis';
import session, { type SessionData, type Store } from 'express-session';
import { LRUCache } from 'lru-cache';
import { createMemoryState } from './memory-state.js';
import { createRedisState, type RedisClient } from './redis-state.js';
import type { AuthSession } from './session-data.js';
import type { SharedState } from './shared-state.js';
import { slidingPrevented } from './sliding.js';
import {
  decideTokenUpdate,
  decideWrite,
  ENDED,
  type StoredSession,
  type TokenFields,
} from './write-rules.js';
import './session-data.js';

export interface SessionStoreOptions {
  /**
   * Sessions in Redis, shared by every instance: connect-redis is the store, its writes
   * made compare-and-set. Takes precedence over `state`.
   */
  readonly redis?: RedisClient;
  /** Key namespace in Redis, as given to `createRedisState` for the same client. Default `shop-bff:`. */
  readonly namespace?: string;
  /**
   * Without `redis`: where sessions live. Default: process memory (development and
   * tests only: lost on restart, not shared).
   */
  readonly state?: SharedState;
  /**
   * How long an ended session is remembered as ended, in milliseconds, so that a request
   * still running when it ended cannot write it back. Longer than any request can take.
   * Default `600_000`.
   */
  readonly endedTtlMs?: number;
  /**
   * Fraction of a session's idle window that must pass before its expiry is pushed
   * forward again in the store (see `throttleTouch`). Default `0.1`.
   */
  readonly touchAfterFraction?: number;
  /** Upper bound of sessions whose last touch is remembered. Default `100_000`. */
  readonly touchMemory?: number;
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

/**
 * express-session's store, plus what sign-in needs beyond it. Every write is a
 * compare-and-set under the rules of write-rules.ts (no stale tokens, no revived
 * sessions); ended sessions are kept as tombstones for `endedTtlMs`; signed-in sessions
 * are indexed by the IdP's `sid` and by `sub` for back-channel logout.
 */
export interface SessionStore extends Store {
  /** The session as stored now; null when there is none or it ended. */
  read(sessionId: string): Promise<SessionData | null>;
  /** When the stored session expires unless used again (epoch ms); null when there is none. */
  expiresAt(sessionId: string): Promise<number | null>;
  /**
   * Stores refreshed tokens of `sub`'s session, unless it already holds that generation
   * or a newer one. Resolves to the auth data stored afterwards (the update, or the newer
   * one), or null when the session ended.
   */
  updateTokens(sessionId: string, sub: string, update: TokenFields): Promise<AuthSession | null>;
  /** Ends every session the selector names (both given: sessions matching both). Resolves how many were live. */
  endSessions(selector: SessionSelector): Promise<number>;
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

const sessionKey = (id: string) => `sess:${id}`;
const indexKey = (by: 'sid' | 'sub', value: string) => `sess-by-${by}:${value}`;

/** One step of a compare-and-set loop: write `value` in place of what was read, or stop with a result. */
type Step<T> =
  | { readonly write: string; readonly ttlMs: number; readonly result: T; readonly before?: () => Promise<void> }
  | { readonly end: true; readonly result: T }
  | { readonly stop: true; readonly result: T };

/**
 * The sessions as records in the shared state, with every write a compare-and-set under
 * the rules of write-rules.ts. Both store adapters below run their writes through it.
 */
class SessionRecords {
  readonly #state: SharedState;
  readonly #now: () => number;
  readonly #endedTtlMs: number;
  readonly #maxAttempts: number;

  constructor(state: SharedState, opts: SessionStoreOptions) {
    this.#state = state;
    this.#now = opts.now ?? Date.now;
    this.#endedTtlMs = opts.endedTtlMs ?? 600_000;
    this.#maxAttempts = opts.maxWriteAttempts ?? 10;
  }

  async read(sessionId: string): Promise<SessionData | null> {
    const s = parse(await this.#state.get(sessionKey(sessionId)));
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
      const current = parse(raw);
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
    const current = known === undefined ? parse(await this.#state.get(sessionKey(sid))) : known;
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

/** Runs a promise-returning store operation with express-session's callback style. */
function callback<T>(work: Promise<T>, cb?: (err: unknown, value?: T) => void): void {
  work.then(
    (value) => cb?.(null, value),
    (err: unknown) => cb?.(err),
  );
}

/**
 * Redis: connect-redis is the session store (its key layout, serializer, TTL from the
 * cookie, reads, touches and enumeration). What it cannot do, and sign-in needs, is a
 * write that refuses to undo a concurrent one: `set` and `destroy` go through the
 * compare-and-set records on the same keys; a tombstone or an unreadable entry reads as
 * no session.
 */
class RedisSessionStore extends RedisStore implements SessionStore {
  readonly #records: SessionRecords;

  constructor(client: RedisClient, namespace: string, records: SessionRecords, now: () => number) {
    super({
      client,
      prefix: `${namespace}${sessionKey('')}`,
      serializer: {
        parse: (raw: string) => {
          const s = parse(raw);
          return s === ENDED ? null : s;
        },
        stringify: (s: SessionData) => JSON.stringify(s),
      } as never,
      ttl: (sess: SessionData) => sessionTtlSeconds(sess, now()),
    });
    this.#records = records;
  }

  override async set(sid: string, sess: SessionData, cb?: (err?: unknown) => void): Promise<void> {
    callback(this.#records.write(sid, sess), cb);
  }

  override async destroy(sid: string, cb?: (err?: unknown) => void): Promise<void> {
    callback(this.#records.end(sid), cb);
  }

  override async touch(sid: string, sess: SessionData, cb?: (err?: unknown) => void): Promise<void> {
    // connect-redis would EXPIRE with a TTL <= 0 past the absolute end (deleting the key,
    // tombstone-free); the records leave that case to the next write, which ends it.
    callback(this.#records.touch(sid, sess), cb);
  }

  read = (sessionId: string) => this.#records.read(sessionId);
  expiresAt = (sessionId: string) => this.#records.expiresAt(sessionId);
  updateTokens = (sessionId: string, sub: string, update: TokenFields) => this.#records.updateTokens(sessionId, sub, update);
  endSessions = (selector: SessionSelector) => this.#records.endSessions(selector);
}

/** Process memory (development and tests, one instance): the same records on a memory state. */
class MemorySessionStore extends session.Store implements SessionStore {
  readonly #records: SessionRecords;

  constructor(records: SessionRecords) {
    super();
    this.#records = records;
  }

  override get(sid: string, cb: (err: unknown, session?: SessionData | null) => void): void {
    callback(this.#records.read(sid), cb);
  }

  override set(sid: string, sess: SessionData, cb?: (err?: unknown) => void): void {
    callback(this.#records.write(sid, sess), cb);
  }

  override touch(sid: string, sess: SessionData, cb?: () => void): void {
    callback(this.#records.touch(sid, sess), cb as (err?: unknown) => void);
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    callback(this.#records.end(sid), cb);
  }

  read = (sessionId: string) => this.#records.read(sessionId);
  expiresAt = (sessionId: string) => this.#records.expiresAt(sessionId);
  updateTokens = (sessionId: string, sub: string, update: TokenFields) => this.#records.updateTokens(sessionId, sub, update);
  endSessions = (selector: SessionSelector) => this.#records.endSessions(selector);
}

/**
 * A stored value: session data, ENDED, or null. Anything unreadable counts as ended: a
 * corrupted entry is no session, and no late write may turn it back into one.
 */
function parse(raw: string | null): StoredSession {
  if (raw === null) return null;
  if (raw === ENDED) return ENDED;
  try {
    const value = JSON.parse(raw) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SessionData) : ENDED;
  } catch {
    return ENDED;
  }
}

/**
 * Creates the session store on `state` (Redis or memory). Touches are throttled (see
 * `throttleTouch`) so tests on either backend see production behaviour.
 */
export function createSessionStore(opts: SessionStoreOptions = {}): SessionStore {
  const now = opts.now ?? Date.now;
  const namespace = opts.namespace ?? 'shop-bff:';
  const store = opts.redis
    ? new RedisSessionStore(opts.redis, namespace, new SessionRecords(createRedisState(opts.redis, { namespace }), opts), now)
    : new MemorySessionStore(new SessionRecords(opts.state ?? createMemoryState({ now }), opts));
  throttleTouch(store, {
    fraction: opts.touchAfterFraction ?? 0.1,
    max: opts.touchMemory ?? 100_000,
    now: opts.now ?? Date.now,
  });
  return store;
}

/**
 * Performance: express-session "touches" every unmodified session at the end of every
 * request (a PEXPIRE in Redis), which doubles the Redis round trips of the hot path (GET
 * + PEXPIRE). The sliding idle timeout does not need that precision: here a session's
 * expiry is pushed forward only when at least `fraction` of its idle window has passed
 * since this process last wrote or touched it. A session used every second costs one
 * PEXPIRE per ~3 minutes (idle window 30 min) instead of one per request.
 *
 * The price: a session may expire up to `fraction` of the idle window earlier than
 * "idle window after the last request" (never later, so the timeout stays a security
 * bound). A touch only sets the expiry; it never rewrites the session body, so it can
 * never write stale tokens over ones another request just refreshed.
 *
 * A request that asked not to slide (`preventSliding`) never touches.
 *
 * Memory: one timestamp per recently active session id, bounded by `max` (LRU); a session
 * forgotten here is simply touched again on its next request.
 */
export function throttleTouch(store: Store, opts: { fraction: number; max: number; now: () => number }): void {
  const touch = store.touch?.bind(store);
  const set = store.set.bind(store);
  const last = new LRUCache<string, number>({ max: opts.max });

  store.set = (sid, sess, cb) => {
    set(sid, sess, (err?: unknown) => {
      if (err) last.delete(sid);
      else last.set(sid, opts.now());
      cb?.(err);
    });
  };

  const destroy = store.destroy.bind(store);
  store.destroy = (sid, cb) => {
    last.delete(sid);
    destroy(sid, cb);
  };

  if (!touch) return;
  store.touch = (sid, sess, cb) => {
    const now = opts.now();
    const window = sess.cookie?.originalMaxAge ?? 0;
    const previous = last.get(sid);
    if (slidingPrevented(sess) || (previous !== undefined && now - previous < window * opts.fraction)) {
      cb?.();
      return;
    }
    last.set(sid, now);
    touch(sid, sess, (err?: unknown) => {
      if (err) last.delete(sid);
      // express-session's typings say touch callbacks take no argument; at runtime it
      // takes the error, like every other store callback.
      (cb as ((err?: unknown) => void) | undefined)?.(err);
    });
  };
}
