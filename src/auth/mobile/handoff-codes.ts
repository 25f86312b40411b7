import { createHash, randomBytes } from 'node:crypto';
import type { SharedState } from '../../session/index.js';

/** What a one-time code stands for until the app redeems it. */
export interface Handoff {
  /** The app the sign-in was started for: only it may redeem the code. */
  readonly app: string;
  /** BASE64URL(SHA-256(code_verifier)) the app sent at `/auth/mobile/login`. */
  readonly codeChallenge: string;
  /**
   * Where the signed-in user waits: a session record of channel `mobile-handoff`, in the
   * sid/sub index like any signed-in session, so a back-channel logout before the
   * redemption ends it (and the redemption then fails).
   */
  readonly sessionId: string;
  /** Epoch ms after which the code is refused, whatever the store's TTL says (injected clocks, clock skew). */
  readonly expiresAt: number;
}

export interface HandoffCodes {
  /** Stores `handoff` for `ttlMs` and returns the one-time code for it. */
  issue(handoff: Omit<Handoff, 'expiresAt'>): Promise<string>;
  /**
   * The handoff of `code`, removed from the store in the same step: whoever calls this
   * first (on any instance) gets it, every later call gets null. So a code is burnt by any
   * attempt, right or wrong.
   */
  take(code: string): Promise<Handoff | null>;
}

/**
 * One-time codes in the shared state (Redis when configured), so the app may redeem at
 * any instance. The key is a hash of the code: someone reading the store learns nothing
 * they could redeem.
 */
export function createHandoffCodes(opts: { state: SharedState; ttlS: number; now: () => number }): HandoffCodes {
  const key = (code: string) => `mobile-code:${createHash('sha256').update(code).digest('base64url')}`;
  const ttlMs = opts.ttlS * 1000;
  return {
    async issue(handoff) {
      const code = randomBytes(32).toString('base64url');
      await opts.state.set(key(code), JSON.stringify({ ...handoff, expiresAt: opts.now() + ttlMs }), ttlMs);
      return code;
    },
    async take(code) {
      const k = key(code);
      const raw = await opts.state.get(k);
      // deleteIfEquals is atomic: of two concurrent redemptions, one deletes, one loses.
      if (raw === null || !(await opts.state.deleteIfEquals(k, raw))) return null;
      const handoff = JSON.parse(raw) as Handoff;
      return opts.now() < handoff.expiresAt ? handoff : null;
    },
  };
}
