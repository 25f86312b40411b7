/**
 * What the auth layer reports to metrics, without knowing prom-client: one call per
 * event, with a small fixed set of label values. Default `NO_AUTH_EVENTS`.
 */
export interface AuthEvents {
  /** A sign-in completed: a browser session (`web`) or a code handed to a native app (`app`). */
  signedIn(client: 'web' | 'app'): void;
  /** A user signed out: the browser's logout link (`web`) or an app's logout call (`app`). */
  signedOut(client: 'web' | 'app'): void;
  /** A refresh at the IdP gave new tokens (`refreshed`), or a refresh failed (`failed`). */
  refreshed(result: 'refreshed' | 'failed'): void;
  /** A back-channel logout from the IdP ended sessions (`ended`) or was refused (`refused`). */
  backchannelLogout(result: 'ended' | 'refused'): void;
}

export const NO_AUTH_EVENTS: AuthEvents = {
  signedIn: () => {},
  signedOut: () => {},
  refreshed: () => {},
  backchannelLogout: () => {},
};
