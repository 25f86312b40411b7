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
   * Called once after the service answered 401 to `refused` (the headers that call
   * sent): re-read the secret, fetch a new token, or pick the value the service still
   * takes. Resolves to true when a retry with fresh `headers()` may succeed; false means
   * "nothing new to try" and the 401 stands. Knowing what was refused lets a credential
   * shared by concurrent calls tell a stale 401 (someone already renewed) from a new one.
   */
  renew(refused?: Readonly<Record<string, string>>, opts?: RenewOptions): Promise<boolean>;
  /**
   * Optional, on every call's path (keep it cheap): the service accepted `sent` (it
   * answered neither 401/403 nor 5xx). A rotating secret learns from this which value
   * the service takes.
   */
  accepted?(sent: Readonly<Record<string, string>>): void;
}

export interface RenewOptions {
  /**
   * The longest `renew()` may wait for a new value to appear (a rotation under way), in
   * ms: what is left of the call's time after keeping some for the retry. Default `0`.
   */
  readonly maxWaitMs?: number;
  /**
   * When the refused headers were sent (epoch ms, the HTTP core's clock), so that a
   * credential can tell a late 401 (sent before the service took the value) from a
   * service refusing that value now.
   */
  readonly sentAt?: number;
}
