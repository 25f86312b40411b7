import type { SecretSource } from '../secrets/index.js';
import type { Credential } from './credential.js';

/**
 * Credentials made of a server-held secret. The value is read from the `SecretSource` on
 * every call (it is in memory), so a rotated file reaches the next call without a
 * restart; after a 401, `renew()` re-reads the source at once in case the rotation
 * happened before the watcher noticed.
 */

/** A static API key in a header (catalog: `x-api-key`). Default header `x-api-key`. */
export function apiKeyCredential(secret: SecretSource, header = 'x-api-key'): Credential {
  const name = header.toLowerCase();
  return {
    headers: async () => ({ [name]: secret.current() }),
    renew: () => secret.refresh(),
  };
}

/** A secret sent as a bearer token (payments: Stripe-style `Authorization: Bearer sk_…`). */
export function bearerSecretCredential(secret: SecretSource): Credential {
  return {
    headers: async () => ({ authorization: `Bearer ${secret.current()}` }),
    renew: () => secret.refresh(),
  };
}
