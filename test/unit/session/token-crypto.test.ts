import { describe, expect, it } from '@jest/globals';
import { staticSecret } from '../../../src/secrets/index.js';
import type { SecretSource } from '../../../src/secrets/index.js';
import { createTokenCrypto, keysFromSessionSecret, type SessionTokens } from '../../../src/session/token-crypto.js';

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

  it('tells a blob sealed with a key it does not have from a tampered one', () => {
    const a = createTokenCrypto(staticSecret(KEY_A, 'test'));
    const b = createTokenCrypto(staticSecret(KEY_B, 'test'));
    const blob = a.encrypt(tokens, 'alice');
    expect(b.decrypt(blob, 'alice')).toBeNull();
    expect(b.keyUnknown(blob)).toBe(true);
    // Same key, but the ciphertext changed: AES-GCM refuses it, and the key is known.
    const [v, kid, iv, body] = blob.split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    const tampered = `${v}.${kid}.${iv}.${flipped.toString('base64url')}`;
    expect(a.decrypt(tampered, 'alice')).toBeNull();
    expect(a.keyUnknown(tampered)).toBe(false);
    expect(a.keyUnknown(blob)).toBe(false);
    // Malformed blobs name no key at all: they are not a key problem.
    for (const junk of ['', 'garbage', `v2.${kid}.${iv}.${body}`, undefined as unknown as string]) {
      expect(b.keyUnknown(junk)).toBe(false);
    }
  });
});

describe('keysFromSessionSecret', () => {
  const SECRET_1 = 'session-secret-1-0123456789abcdef0123';
  const SECRET_2 = 'session-secret-2-fedcba9876543210fedc';

  it('gives two instances with the same session secret the same key, and never the secret itself', () => {
    const one = createTokenCrypto(keysFromSessionSecret(staticSecret(SECRET_1, 'a')));
    const two = createTokenCrypto(keysFromSessionSecret(staticSecret(SECRET_1, 'b')));
    expect(two.decrypt(one.encrypt(tokens, 'alice'), 'alice')).toEqual(tokens);
    const derived = keysFromSessionSecret(staticSecret(SECRET_1, 'a')).current();
    expect(derived).not.toContain(SECRET_1);
    expect(Buffer.from(derived, 'base64url')).toHaveLength(32);
    // Not the key the secret would give if it were used as SESSION_ENCRYPTION_KEY itself.
    const direct = createTokenCrypto(staticSecret(SECRET_1, 'a'));
    expect(direct.decrypt(one.encrypt(tokens, 'alice'), 'alice')).toBeNull();
  });

  it('refuses, as an unknown key, blobs sealed under another session secret', () => {
    const one = createTokenCrypto(keysFromSessionSecret(staticSecret(SECRET_1, 'a')));
    const other = createTokenCrypto(keysFromSessionSecret(staticSecret(SECRET_2, 'a')));
    const blob = one.encrypt(tokens, 'alice');
    expect(other.decrypt(blob, 'alice')).toBeNull();
    expect(other.keyUnknown(blob)).toBe(true);
  });

  it('rotates with the session secret: the newest encrypts, the older ones still decrypt', () => {
    const secret = mutableSecret(SECRET_1);
    const crypto = createTokenCrypto(keysFromSessionSecret(secret));
    const old = crypto.encrypt(tokens, 'alice');
    secret.set(`${SECRET_2}, ${SECRET_1}`);
    expect(crypto.decrypt(old, 'alice')).toEqual(tokens);
    const fresh = crypto.encrypt(tokens, 'alice');
    // Another instance that only has the new secret reads what is sealed now.
    const onlyNew = createTokenCrypto(keysFromSessionSecret(staticSecret(SECRET_2, 'b')));
    expect(onlyNew.decrypt(fresh, 'alice')).toEqual(tokens);
    expect(onlyNew.keyUnknown(old)).toBe(true);
  });
});
