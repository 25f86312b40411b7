import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SharedState } from './shared-state.js';

export interface LockOptions {
  readonly state: SharedState;
  /**
   * How long a lock is held at most, in milliseconds: if its holder dies, others may take
   * it after this. Must exceed the longest work done under it. Default `30_000`.
   */
  readonly ttlMs?: number;
  /** How long to wait for a held lock before giving up, in milliseconds. Default `ttlMs`. */
  readonly waitMs?: number;
  /** Pause between two attempts to take a held lock, in milliseconds. Default `20`. */
  readonly pollMs?: number;
}

/** The lock stayed held by someone else for longer than `waitMs`. */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

export interface Lock {
  /** Runs `work` while holding the lock `name` (one holder at a time across every instance). */
  run<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/**
 * A mutual-exclusion lock on `SharedState` (Redis: `SET NX PX` to take it, a
 * compare-and-delete of our own random token to release it, so a holder whose lock
 * expired never releases someone else's). Waiters poll: locks here are rare and short
 * (one token refresh per session every few minutes), and polling needs no second
 * connection, unlike pub/sub.
 */
export function createLock(opts: LockOptions): Lock {
  const ttlMs = opts.ttlMs ?? 30_000;
  const waitMs = opts.waitMs ?? ttlMs;
  const pollMs = opts.pollMs ?? 20;
  return {
    async run(name, work) {
      const key = `lock:${name}`;
      const token = randomBytes(16).toString('base64url');
      const giveUpAt = Date.now() + waitMs;
      while (!(await opts.state.setIfAbsent(key, token, ttlMs))) {
        if (Date.now() >= giveUpAt) throw new LockTimeoutError(`lock ${name} is still held after ${waitMs} ms`);
        await sleep(pollMs);
      }
      try {
        return await work();
      } finally {
        await opts.state.deleteIfEquals(key, token).catch(() => {
          // Unreleased, it expires after ttlMs; the work itself succeeded or failed already.
        });
      }
    },
  };
}
