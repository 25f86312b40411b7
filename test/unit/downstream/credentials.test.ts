import { describe, expect, it } from '@jest/globals';
import { apiKeyCredential, bearerSecretCredential } from '../../../src/downstream/credentials.js';
import type { SecretSource } from '../../../src/secrets/index.js';

/** A secret whose value a test rotates; `refresh()` reports whether it changed since the last read. */
function rotatingSecret(initial: string) {
  let value = initial;
  let next: string | undefined;
  const source: SecretSource & { rotate(v: string): void; refreshes: number } = {
    description: 'test',
    refreshes: 0,
    current: () => value,
    refresh: async () => {
      source.refreshes++;
      if (next === undefined) return false;
      value = next;
      next = undefined;
      return true;
    },
    close: () => {},
    rotate: (v: string) => {
      next = v;
    },
  };
  return source;
}

describe('apiKeyCredential', () => {
  it('sends the current key in x-api-key, or the header given (lower-cased)', async () => {
    expect(await apiKeyCredential(rotatingSecret('k1')).headers()).toEqual({ 'x-api-key': 'k1' });
    expect(await apiKeyCredential(rotatingSecret('k1'), 'X-Key').headers()).toEqual({ 'x-key': 'k1' });
  });

  it('renews by re-reading the secret', async () => {
    const secret = rotatingSecret('old');
    const credential = apiKeyCredential(secret);
    expect(await credential.renew()).toBe(false);
    secret.rotate('new');
    expect(await credential.renew()).toBe(true);
    expect(await credential.headers()).toEqual({ 'x-api-key': 'new' });
    expect(secret.refreshes).toBe(2);
  });
});

describe('bearerSecretCredential', () => {
  it('sends the current secret as a bearer token and renews by re-reading it', async () => {
    const secret = rotatingSecret('sk_1');
    const credential = bearerSecretCredential(secret);
    expect(await credential.headers()).toEqual({ authorization: 'Bearer sk_1' });
    secret.rotate('sk_2');
    expect(await credential.renew()).toBe(true);
    expect(await credential.headers()).toEqual({ authorization: 'Bearer sk_2' });
  });
});
