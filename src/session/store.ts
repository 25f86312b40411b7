import { RedisStore } from 'connect-redis';
import session, { type SessionData } from 'express-session';
import { createMemoryState } from './memory-state.js';
import { recordsStore, settle, type SessionStore } from './records-store.js';
import type { SharedRedis } from './redis-connection.js';
import { createRedisState } from './redis-state.js';
import { parseStored, SessionRecords, sessionKey, sessionTtlSeconds, type SessionRecordsOptions } from './session-records.js';
import type { SharedState } from './shared-state.js';
import { TouchThrottle } from './touch-throttle.js';
import { ENDED } from './write-rules.js';

/**
 * The session store express-session uses, in three parts: the compare-and-set engine
 * (session-records.ts), the forwarding layer both adapters share, with the touch
 * throttle (records-store.ts, touch-throttle.ts), and the two adapters below (Redis,
 * memory), which differ only in how they read.
 */

export interface SessionStoreOptions extends SessionRecordsOptions {
  /**
   * Sessions in Redis, shared by every instance: connect-redis is the store, its writes
   * made compare-and-set. Takes precedence over `state`.
   */
  readonly redis?: SharedRedis;
  /** Key namespace in Redis, as given to `createRedisState` for the same client. Default `shop-bff:`. */
  readonly namespace?: string;
  /**
   * Without `redis`: where sessions live. Default: process memory (development and
   * tests only: lost on restart, not shared).
   */
  readonly state?: SharedState;
  /**
   * Fraction of a session's idle window that must pass before its expiry is pushed
   * forward again in the store (see `TouchThrottle`). Default `0.1`.
   */
  readonly touchAfterFraction?: number;
  /** Upper bound of sessions whose last touch is remembered. Default `100_000`. */
  readonly touchMemory?: number;
}

/**
 * Redis: connect-redis is the session store (its key layout, serializer, TTL from the
 * cookie, reads and enumeration). What it cannot do, and sign-in needs, is a write that
 * refuses to undo a concurrent one: `set`, `destroy` and `touch` go through the
 * compare-and-set records on the same keys; a tombstone or an unreadable entry reads as
 * no session.
 */
class RedisSessionStore extends recordsStore(RedisStore) {
  protected override readonly records: SessionRecords;
  protected override readonly touches: TouchThrottle;

  constructor(client: SharedRedis, namespace: string, records: SessionRecords, touches: TouchThrottle, now: () => number) {
    super({
      client,
      prefix: `${namespace}${sessionKey('')}`,
      serializer: {
        parse: (raw: string) => {
          const s = parseStored(raw);
          return s === ENDED ? null : s;
        },
        stringify: (s: SessionData) => JSON.stringify(s),
      } as never,
      ttl: (sess: SessionData) => sessionTtlSeconds(sess, now()),
    });
    this.records = records;
    this.touches = touches;
  }
}

/** Process memory (development and tests, one instance): the same records on a memory state. */
class MemorySessionStore extends recordsStore(session.Store) {
  constructor(
    protected override readonly records: SessionRecords,
    protected override readonly touches: TouchThrottle,
  ) {
    super();
  }

  override get(sid: string, cb: (err: unknown, session?: SessionData | null) => void): void {
    settle(this.records.read(sid), cb);
  }
}

/**
 * Creates the session store on `state` (Redis or memory). Touches are throttled (see
 * `TouchThrottle`) so tests on either backend see production behaviour.
 */
export function createSessionStore(opts: SessionStoreOptions = {}): SessionStore {
  const now = opts.now ?? Date.now;
  const namespace = opts.namespace ?? 'shop-bff:';
  const touches = new TouchThrottle({ fraction: opts.touchAfterFraction ?? 0.1, max: opts.touchMemory ?? 100_000, now });
  return opts.redis
    ? new RedisSessionStore(opts.redis, namespace, new SessionRecords(createRedisState(opts.redis, { namespace }), opts), touches, now)
    : new MemorySessionStore(new SessionRecords(opts.state ?? createMemoryState({ now }), opts), touches);
}
