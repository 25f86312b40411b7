/**
 * What a downstream client attaches to each call. One implementation per kind of
 * credential: a static API key, a rotatable secret key, the user's access token (per
 * request, refreshed on demand), a client-credentials token (shared, cached).
 *
 * The client never sees where the value comes from, and nothing else sees the value.
 */
export interface Credential {
  /** Headers carrying the credential for one call (e.g. `{ authorization: 'Bearer …' }`). */
  headers(): Promise<Record<string, string>>;
  /**
   * Called once after the service answered 401 to the headers last returned: re-read
   * the secret or fetch a new token. Resolves to true when a retry with fresh headers
   * may succeed; false means "nothing new to try" and the 401 stands.
   */
  renew(): Promise<boolean>;
}
