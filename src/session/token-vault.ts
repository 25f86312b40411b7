import type { SessionStore } from './records-store.js';
import type { SessionTokens, TokenCrypto } from './token-crypto.js';

/** The tokens of one session at one generation (incremented by every refresh). */
export interface TokenGeneration {
  readonly generation: number;
  readonly tokens: SessionTokens;
}

/**
 * The tokens of a session as they are in the store now, decrypted, rather than as one
 * request loaded them. The token refresher reads and writes through this under its lock,
 * so that what it decides on is what every instance sees.
 */
export interface TokenVault {
  /** The stored tokens of `sub`'s session; null when the session ended or cannot be decrypted. */
  read(sessionId: string, sub: string): Promise<TokenGeneration | null>;
  /**
   * Stores `next` unless the session already holds that generation or a newer one.
   * Resolves to what is stored afterwards, or null when the session ended.
   */
  write(sessionId: string, sub: string, next: TokenGeneration): Promise<TokenGeneration | null>;
}

export function createTokenVault(opts: { store: SessionStore; crypto: TokenCrypto }): TokenVault {
  const { store, crypto } = opts;
  const open = (auth: { tokens: string; tokenGeneration: number } | undefined, sub: string): TokenGeneration | null => {
    const tokens = auth ? crypto.decrypt(auth.tokens, sub) : null;
    return auth && tokens ? { generation: auth.tokenGeneration, tokens } : null;
  };
  return {
    async read(sessionId, sub) {
      const auth = (await store.read(sessionId))?.auth;
      return auth?.sub === sub ? open(auth, sub) : null;
    },
    async write(sessionId, sub, next) {
      const stored = await store.updateTokens(sessionId, sub, {
        tokens: crypto.encrypt(next.tokens, sub),
        tokenGeneration: next.generation,
        accessTokenExpiresAt: next.tokens.accessTokenExpiresAt ?? null,
      });
      if (!stored) return null;
      return stored.tokenGeneration === next.generation ? next : open(stored, sub);
    },
  };
}
