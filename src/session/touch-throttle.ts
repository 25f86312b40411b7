import type { SessionData } from 'express-session';
import { LRUCache } from 'lru-cache';
import { slidingPrevented } from './sliding.js';

export interface TouchThrottleOptions {
  /** Fraction of a session's idle window that must pass before its expiry is pushed forward again. */
  readonly fraction: number;
  /** Upper bound of sessions whose last touch is remembered. */
  readonly max: number;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
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
 *
 * This only decides; the store's `touch`, `set` and `destroy` (records-store.ts) ask it
 * and tell it what happened.
 */
export class TouchThrottle {
  readonly #last: LRUCache<string, number>;

  constructor(private readonly opts: TouchThrottleOptions) {
    this.#last = new LRUCache<string, number>({ max: opts.max });
  }

  /** Whether `sess`'s expiry must be pushed forward now; if so, it counts as touched now. */
  due(sid: string, sess: SessionData): boolean {
    const now = this.opts.now();
    const window = sess.cookie?.originalMaxAge ?? 0;
    const previous = this.#last.get(sid);
    if (slidingPrevented(sess) || (previous !== undefined && now - previous < window * this.opts.fraction)) return false;
    this.#last.set(sid, now);
    return true;
  }

  /** The session was written whole, which sets its expiry as a touch does. */
  written(sid: string): void {
    this.#last.set(sid, this.opts.now());
  }

  /** A write or touch failed, or the session was destroyed: touch it again next time. */
  forget(sid: string): void {
    this.#last.delete(sid);
  }
}
