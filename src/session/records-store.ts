import type { SessionData, Store } from 'express-session';
import type { AuthSession } from './session-data.js';
import type { SessionRecords, SessionSelector } from './session-records.js';
import type { TouchThrottle } from './touch-throttle.js';
import type { TokenFields } from './write-rules.js';
import './session-data.js';

/**
 * express-session's store, plus what sign-in needs beyond it. Every write is a
 * compare-and-set under the rules of write-rules.ts (no stale tokens, no revived
 * sessions); ended sessions are kept as tombstones; signed-in sessions are indexed by
 * the IdP's `sid` and by `sub` for back-channel logout.
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
  /** Ends one session (as `destroy`), resolving whether it was live: whether this call, and not an earlier end, ended it. */
  end(sessionId: string): Promise<boolean>;
}

type StoreCallback = (err?: unknown) => void;

type StoreClass = abstract new (...args: any[]) => Store;

/**
 * The one forwarding layer of both session stores (Redis: connect-redis's `RedisStore`;
 * memory: express-session's `Store`), as a mixin because the two extend different
 * classes: writes, ends and touches go through the compare-and-set records, touches
 * through the throttle first, and sign-in's extra operations straight to the records.
 * The subclass sets `records` and `touches`, and keeps whatever it reads with.
 */
export function recordsStore<TBase extends StoreClass>(Base: TBase) {
  abstract class RecordsStore extends Base implements SessionStore {
    protected abstract readonly records: SessionRecords;
    protected abstract readonly touches: TouchThrottle;

    override set(sid: string, sess: SessionData, cb?: StoreCallback): void {
      settle(this.records.write(sid, sess), (err) => {
        if (err) this.touches.forget(sid);
        else this.touches.written(sid);
        cb?.(err);
      });
    }

    override destroy(sid: string, cb?: StoreCallback): void {
      this.touches.forget(sid);
      settle(this.records.end(sid), cb);
    }

    /**
     * Pushes the stored expiry forward when the throttle says it is due. connect-redis's
     * own touch would EXPIRE with a TTL <= 0 past the absolute end (deleting the key,
     * tombstone-free); the records leave that case to the next write, which ends it.
     */
    override touch(sid: string, sess: SessionData, cb?: () => void): void {
      // express-session's typings say touch callbacks take no argument; at runtime it
      // takes the error, like every other store callback.
      const done = cb as StoreCallback | undefined;
      if (!this.touches.due(sid, sess)) return void done?.();
      settle(this.records.touch(sid, sess), (err) => {
        if (err) this.touches.forget(sid);
        done?.(err);
      });
    }

    read(sessionId: string): Promise<SessionData | null> {
      return this.records.read(sessionId);
    }

    expiresAt(sessionId: string): Promise<number | null> {
      return this.records.expiresAt(sessionId);
    }

    updateTokens(sessionId: string, sub: string, update: TokenFields): Promise<AuthSession | null> {
      return this.records.updateTokens(sessionId, sub, update);
    }

    endSessions(selector: SessionSelector): Promise<number> {
      return this.records.endSessions(selector);
    }

    end(sessionId: string): Promise<boolean> {
      this.touches.forget(sessionId);
      return this.records.end(sessionId);
    }
  }
  return RecordsStore;
}

/** Runs a promise-returning store operation with express-session's callback style. */
export function settle<T>(work: Promise<T>, cb?: (err: unknown, value?: T) => void): void {
  work.then(
    (value) => cb?.(null, value),
    (err: unknown) => cb?.(err),
  );
}
