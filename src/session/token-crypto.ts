import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { type SecretSource, secretList } from '../secrets/index.js';

/**
 * The tokens of one signed-in user, as kept (encrypted) in the session. Nothing outside
 * `src/auth` and this module ever sees them in clear.
 */
export interface SessionTokens {
  readonly accessToken: string;
  /** Absent when the IdP issued none (no `offline_access`). */
  readonly refreshToken?: string;
  /** Kept for `id_token_hint` at logout. */
  readonly idToken?: string;
  /** When the access token expires, epoch milliseconds; absent when the IdP did not say. */
  readonly accessTokenExpiresAt?: number;
}

/**
 * Encrypts tokens for storage in the session (AES-256-GCM, a fresh 96-bit IV per blob).
 * `context` is bound to the blob as additional authenticated data, so a blob copied into
 * another user's session does not decrypt.
 */
export interface TokenCrypto {
  encrypt(tokens: SessionTokens, context: string): string;
  /**
   * The tokens, or null when the blob is malformed, tampered with, bound to another
   * context, or sealed with a key no longer configured. Never throws: an unreadable
   * blob means "no session", not a crash.
   */
  decrypt(blob: string, context: string): SessionTokens | null;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ENC_INFO = 'shop-bff session token encryption v1';
const KID_INFO = 'shop-bff session token key id v1';

interface DerivedKey {
  readonly kid: string;
  readonly key: Buffer;
}

/**
 * Derives one AES key (and a public key id) per configured secret with HKDF-SHA256. The
 * key id lets decryption pick the right key instead of trying each; it is a separate
 * HKDF output, so it reveals nothing about the key.
 */
function derive(secret: string): DerivedKey {
  const ikm = Buffer.from(secret, 'utf8');
  const key = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), ENC_INFO, 32));
  const kid = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), KID_INFO, 6)).toString('base64url');
  return { kid, key };
}

/**
 * Creates the token encryption of the session store from `SESSION_ENCRYPTION_KEY`
 * (comma-separated, newest first): the newest key encrypts, every listed key decrypts,
 * so keys rotate by prepending a new one and dropping the oldest once no session can
 * still hold a blob sealed with it (after `SESSION_ABSOLUTE_TIMEOUT_S`).
 *
 * The source is read on each use, so a rotated key file takes effect without a restart;
 * derivations are cached per value.
 */
export function createTokenCrypto(keys: SecretSource): TokenCrypto {
  let cachedRaw: string | undefined;
  let cachedKeys: DerivedKey[] = [];

  const current = (): DerivedKey[] => {
    const raw = keys.current();
    if (raw !== cachedRaw) {
      const list = secretList(keys);
      if (list.length === 0) throw new Error(`session encryption key (${keys.description}) is empty`);
      cachedKeys = list.map(derive);
      cachedRaw = raw;
    }
    return cachedKeys;
  };

  return {
    encrypt(tokens, context) {
      const { kid, key } = current()[0]!;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`, 'utf8'));
      const body = Buffer.concat([cipher.update(JSON.stringify(tokens), 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${kid}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },

    decrypt(blob, context) {
      try {
        if (typeof blob !== 'string') return null;
        const parts = blob.split('.');
        if (parts.length !== 4 || parts[0] !== VERSION) return null;
        const [, kid, ivText, bodyText] = parts as [string, string, string, string];
        const found = current().find((k) => k.kid === kid);
        if (!found) return null;
        const iv = Buffer.from(ivText, 'base64url');
        const body = Buffer.from(bodyText, 'base64url');
        if (iv.length !== IV_BYTES || body.length <= TAG_BYTES) return null;
        const decipher = createDecipheriv('aes-256-gcm', found.key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        const clear = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
        return parseTokens(JSON.parse(clear.toString('utf8')));
      } catch {
        // Authentication failure, bad base64, bad JSON: all mean "no tokens".
        return null;
      }
    },
  };
}

function parseTokens(value: unknown): SessionTokens | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.accessToken !== 'string' || v.accessToken.length === 0) return null;
  const optionalString = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return {
    accessToken: v.accessToken,
    ...(optionalString(v.refreshToken) !== undefined ? { refreshToken: v.refreshToken as string } : {}),
    ...(optionalString(v.idToken) !== undefined ? { idToken: v.idToken as string } : {}),
    ...(typeof v.accessTokenExpiresAt === 'number' ? { accessTokenExpiresAt: v.accessTokenExpiresAt } : {}),
  };
}
