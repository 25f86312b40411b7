import { describe, expect, it } from '@jest/globals';
import { staticSecret } from '../../../src/secrets/index.js';
import type { SecretSource } from '../../../src/secrets/index.js';
import { createTokenCrypto, type SessionTokens } from '../../../src/session/token-crypto.js';

const tokens: SessionTokens = {
  accessToken: 'at-secret-value',
  refreshToken: 'rt-secret-value',
  idToken: 'id.token.value',
  accessTokenExpiresAt: 1_700_000_000_000,
};

const KEY_A = 'key-a-0123456789abcdef0123456789abcdef';
const KEY_B = 'key-b-fedcba9876543210fedcba9876543210';

function mutableSecret(initial: string): SecretSource & { set(v: string): void } {
  let value = initial;
  return { description: 'test', current: () => value, refresh: async () => false, close: () => {}, set: (v) => (value = v) };
}

describe('createTokenCrypto', () => {
  it('round-trips tokens and never shows them in the blob', () => {
    const crypto = createTokenCrypto(staticSecret(KEY_A, 'test'));
    const blob = crypto.encrypt(tokens, 'alice');
    expect(blob).not.toContain('at-secret-value');
    expect(Buffer.from(blob.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('secret');
    expect(crypto.decrypt(blob, 'alice')).toEqual(tokens);
  });

  it('uses a fresh IV each time', () => {
    const crypto = createTokenCrypto(staticSecret(KEY_A, 'test'));
    expect(crypto.encrypt(tokens, 'alice')).not.toBe(crypto.encrypt(tokens, 'alice'));
  });

  it('keeps optional fields optional', () => {
    const crypto = createTokenCrypto(staticSecret(KEY_A, 'test'));
    expect(crypto.decrypt(crypto.encrypt({ accessToken: 'x' }, 'c'), 'c')).toEqual({ accessToken: 'x' });
  });

  it('decrypts blobs of an older key after rotation, and encrypts with the newest', () => {
    const secret = mutableSecret(KEY_A);
    const crypto = createTokenCrypto(secret);
    const old = crypto.encrypt(tokens, 'alice');
    secret.set(`${KEY_B},${KEY_A}`);
    expect(crypto.decrypt(old, 'alice')).toEqual(tokens);
    const fresh = crypto.encrypt(tokens, 'alice');
    expect(fresh.split('.')[1]).not.toBe(old.split('.')[1]);

    // Once the old key is retired, its blobs are unreadable; the new ones are fine.
    secret.set(KEY_B);
    expect(crypto.decrypt(old, 'alice')).toBeNull();
    expect(crypto.decrypt(fresh, 'alice')).toEqual(tokens);
  });

  it('decrypts a blob once and hands back the same frozen tokens after that', () => {
    const crypto = createTokenCrypto(staticSecret(KEY_A, 'test'));
    const blob = crypto.encrypt(tokens, 'alice');
    const first = crypto.decrypt(blob, 'alice');
    expect(crypto.decrypt(blob, 'alice')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // Without the memo every call decrypts anew.
    const plain = createTokenCrypto(staticSecret(KEY_A, 'test'), { memoEntries: 0 });
    expect(plain.decrypt(blob, 'alice')).not.toBe(plain.decrypt(blob, 'alice'));
  });

  it('refuses a remembered blob under another context', () => {
    const crypto = createTokenCrypto(staticSecret(KEY_A, 'test'));
    const blob = crypto.encrypt(tokens, 'alice');
    expect(crypto.decrypt(blob, 'alice')).toEqual(tokens);
    expect(crypto.decrypt(blob, 'bob')).toBeNull();
  });

  it('refuses a blob bound to another context (another user)', () => {
    const crypto = createTokenCrypto(staticSecret(KEY_A, 'test'));
    expect(crypto.decrypt(crypto.encrypt(tokens, 'alice'), 'bob')).toBeNull();
  });

  it('treats tampered or malformed blobs as no tokens, without throwing', () => {
    const crypto = createTokenCrypto(staticSecret(KEY_A, 'test'));
    const blob = crypto.encrypt(tokens, 'alice');
    const [v, kid, iv, body] = blob.split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[3] = flipped[3]! ^ 1;
    const tampered = [
      `${v}.${kid}.${iv}.${flipped.toString('base64url')}`,
      `${v}.${kid}.${Buffer.alloc(12).toString('base64url')}.${body}`,
      `v2.${kid}.${iv}.${body}`,
      `${v}.AAAAAAAA.${iv}.${body}`,
      `${v}.${kid}.${iv}`,
      `${v}.${kid}.${iv}.${body.slice(0, 10)}`,
      `${v}.${kid}.!!!.${body}`,
      '',
      'garbage',
    ];
    for (const t of tampered) expect(crypto.decrypt(t, 'alice')).toBeNull();
    expect(crypto.decrypt(undefined as unknown as string, 'alice')).toBeNull();
  });

  it('refuses a blob whose content is not a token set', () => {
    // A blob sealed by the same key but holding something else (defence in depth).
    const crypto = createTokenCrypto(staticSecret(KEY_A, 'test'));
    const blob = crypto.encrypt({ accessToken: '' } as SessionTokens, 'alice');
    expect(crypto.decrypt(blob, 'alice')).toBeNull();
  });
});
