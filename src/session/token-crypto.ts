import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
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
  /**
   * Whether `blob` names a key this instance does not have (its key id is none of the
   * configured keys'). AES-GCM cannot tell a wrong key from a tampered blob, but the key
   * id stored beside the ciphertext can: an unknown id is a configuration problem (an
   * instance with another `SESSION_ENCRYPTION_KEY` or `SESSION_SECRET`, or a key retired
   * too early), not an attack, and must not end a session other instances can read.
   */
  keyUnknown(blob: string): boolean;
}

/**
 * The info label of the token-encryption keys derived from `SESSION_SECRET` when no
 * `SESSION_ENCRYPTION_KEY` is set. Fixed: every instance, and every release, must derive
 * the same key from the same secret.
 */
const FROM_SESSION_SECRET_INFO = 'shop-bff session token key from SESSION_SECRET v1';

/**
 * The token-encryption keys when no `SESSION_ENCRYPTION_KEY` is set: one HKDF-SHA256
 * output per `SESSION_SECRET` entry (newest first), so every instance sharing the
 * secret shares the key, a restart keeps it, and rotating `SESSION_SECRET` (prepending
 * a new one) rotates the key the same way: the newest encrypts, the older ones decrypt.
 * The output is independent of the cookie-signing use of the same secret (its own
 * label). Follows `sessionSecret` live (a rotated `SESSION_SECRET_FILE`).
 */
export function keysFromSessionSecret(sessionSecret: SecretSource): SecretSource {
  let raw: string | undefined;
  let derived = '';
  return {
    description: `derived from the session secret (${sessionSecret.description})`,
    current() {
      const now = sessionSecret.current();
      if (now !== raw) {
        derived = secretList(sessionSecret)
          .map((s) => Buffer.from(hkdfSync('sha256', Buffer.from(s, 'utf8'), Buffer.alloc(0), FROM_SESSION_SECRET_INFO, 32)).toString('base64url'))
          .join(',');
        raw = now;
      }
      return derived;
    },
    refresh: () => sessionSecret.refresh(),
    // The session secret is owned (and closed) by whoever opened it.
    close: () => {},
  };
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
export interface TokenCryptoOptions {
  /**
   * Successful decryptions remembered, so the session check and the user credential of
   * one request, and the next requests of a busy session, decrypt once (about 13 µs
   * each here). Bounded and short-lived, since the values are tokens in clear; cleared
   * whenever the key list changes. `0` turns it off. Default `1000`.
   */
  readonly memoEntries?: number;
  /** How long a decryption is remembered, in ms. Default `300_000`. */
  readonly memoTtlMs?: number;
}

export function createTokenCrypto(keys: SecretSource, opts: TokenCryptoOptions = {}): TokenCrypto {
  let cachedRaw: string | undefined;
  let cachedKeys: DerivedKey[] = [];
  const memoEntries = opts.memoEntries ?? 1000;
  const memo =
    memoEntries > 0 ? new LRUCache<string, SessionTokens>({ max: memoEntries, ttl: opts.memoTtlMs ?? 300_000 }) : undefined;

  const current = (): DerivedKey[] => {
    const raw = keys.current();
    if (raw !== cachedRaw) {
      const list = secretList(keys);
      if (list.length === 0) throw new Error(`session encryption key (${keys.description}) is empty`);
      cachedKeys = list.map(derive);
      cachedRaw = raw;
      // A blob sealed with a key that was just retired must stop decrypting at once.
      memo?.clear();
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
      if (typeof blob !== 'string') return null;
      const keyList = current();
      // The context is part of the key: the same blob under another user stays refused.
      const memoKey = `${context}\u0000${blob}`;
      const known = memo?.get(memoKey);
      if (known) return known;
      const tokens = open(blob, context, keyList);
      if (tokens) memo?.set(memoKey, tokens);
      return tokens;
    },

    keyUnknown(blob) {
      if (typeof blob !== 'string') return false;
      const parts = blob.split('.');
      if (parts.length !== 4 || parts[0] !== VERSION) return false;
      return !current().some((k) => k.kid === parts[1]);
    },
  };
}

/** Decrypts and parses one blob with the configured keys; null for anything unreadable. */
function open(blob: string, context: string, keyList: readonly DerivedKey[]): SessionTokens | null {
  try {
    const parts = blob.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return null;
    const [, kid, ivText, bodyText] = parts as [string, string, string, string];
    const found = keyList.find((k) => k.kid === kid);
    if (!found) return null;
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (iv.length !== IV_BYTES || body.length <= TAG_BYTES) return null;
    const decipher = createDecipheriv('aes-256-gcm', found.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const clear = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    const tokens = parseTokens(JSON.parse(clear.toString('utf8')));
    // Frozen: the memo hands the same object to every caller.
    return tokens && Object.freeze(tokens);
  } catch {
    // Authentication failure, bad base64, bad JSON: all mean "no tokens".
    return null;
  }
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
