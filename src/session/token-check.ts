import type { Logger } from 'pino';
import type { AuthSession } from './session-data.js';
import type { TokenCheck } from './middleware.js';
import type { TokenCrypto } from './token-crypto.js';

export interface TokenCheckOptions {
  readonly crypto: TokenCrypto;
  readonly logger: Logger;
  /**
   * Whether `SESSION_ENCRYPTION_KEY` is set; otherwise the key is derived from
   * `SESSION_SECRET`, and that is the setting the error names.
   */
  readonly explicitKey: boolean;
  /** At most one configuration-error line per this many ms (one per request would flood the log). Default `60_000`. */
  readonly logEveryMs?: number;
  /** Clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The session middleware's check of a signed-in session's tokens (see `tokensIntact`):
 * `intact` when they decrypt; `unknown-key` when they are sealed with a key this instance
 * does not have, logged as a configuration error naming the setting to compare across
 * instances; `tampered` for anything else (AES-GCM refused the blob, or it is malformed).
 */
export function createTokenCheck(opts: TokenCheckOptions): (auth: AuthSession) => TokenCheck {
  const log = opts.logger.child({ component: 'session' });
  const now = opts.now ?? Date.now;
  const every = opts.logEveryMs ?? 60_000;
  const setting = opts.explicitKey
    ? 'SESSION_ENCRYPTION_KEY: every instance must list the key that sealed them (newest first; keep a retired key listed until SESSION_ABSOLUTE_TIMEOUT_S has passed)'
    : 'SESSION_SECRET: without SESSION_ENCRYPTION_KEY the key is derived from it, so every instance must share the same SESSION_SECRET list (or set one SESSION_ENCRYPTION_KEY everywhere)';
  let lastLogged = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  return (auth) => {
    if (opts.crypto.decrypt(auth.tokens, auth.sub) !== null) return 'intact';
    if (!opts.crypto.keyUnknown(auth.tokens)) {
      log.warn('stored tokens cannot be decrypted (tampered or malformed); ending the session');
      return 'tampered';
    }
    unlogged++;
    if (now() - lastLogged >= every) {
      log.error(
        { configurationError: true, sessionsRefused: unlogged },
        `configuration error: a session's tokens are sealed with a key this instance does not have; the session is kept and the request answered 503. Check ${setting}`,
      );
      lastLogged = now();
      unlogged = 0;
    }
    return 'unknown-key';
  };
}
