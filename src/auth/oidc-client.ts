/**
 * The BFF's OpenID Connect relying party: the only module that imports openid-client.
 * Everything else talks to the IdP through the `OidcClient` interface, receives plain
 * data, and sees failures as `OidcError` with a `kind` it can act on.
 */
import * as oidc from 'openid-client';
import { OIDC_DEFAULTS } from '../config/defaults.js';
import type { Logger } from '../observability/logger.js';
import type { SecretSource } from '../secrets/index.js';

export type TokenAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** Tokens from the IdP's token endpoint. Never log, return to a client or put in an error. */
export interface TokenResult {
  readonly accessToken: string;
  /** Absent when none was issued (or, after a refresh, the old one stays valid). */
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** Epoch milliseconds; absent when the IdP sent no `expires_in`. */
  readonly expiresAt?: number;
  /** Seconds the access token lives, as the IdP said; absent when it did not. */
  readonly expiresIn?: number;
  /** `sub` of a (validated) ID token in this response, if one came with it. */
  readonly sub?: string;
}

/** What the BFF keeps about the user from the ID token (and UserInfo when needed). */
export interface UserClaims {
  readonly sub: string;
  readonly name: string | null;
  readonly email: string | null;
  /** The IdP's session id (for back-channel logout), null when the IdP sends none. */
  readonly sid: string | null;
}

/** An authorization request: the URL to send the browser to, and what to keep for the callback. */
export interface LoginRequest {
  readonly url: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** What the BFF uses of the IdP's discovery document beyond what openid-client handles. */
export interface IdpMetadata {
  /** The issuer identifier, as discovery confirmed it. */
  readonly issuer: string;
  /** Where the IdP publishes its signing keys (to verify back-channel logout tokens). */
  readonly jwksUri: string | undefined;
}

export interface OidcClient {
  readonly issuer: string;
  /** The IdP's discovery metadata (discovering first if needed). Rejects with `OidcError('unavailable')`. */
  metadata(): Promise<IdpMetadata>;
  /**
   * Resolves when the IdP's discovery document is reachable now (a live, bounded GET;
   * answers are reused for a few seconds so probes cannot flood the IdP); rejects with
   * `OidcError('unavailable')` otherwise. For /readyz.
   */
  ready(): Promise<void>;
  /** Builds an authorization code request with PKCE (S256), `state` and `nonce`. */
  startLogin(opts: { redirectUri: string; scope: string; prompt?: string }): Promise<LoginRequest>;
  /**
   * Validates the authorization response at `callbackUrl` (state, `iss`, error
   * parameters), redeems the code as a confidential client with the PKCE verifier and
   * validates the ID token (signature, `iss`, `aud`, `exp`, `nonce`). `callbackUrl`
   * without its query must equal the registered redirect URI.
   */
  completeLogin(opts: {
    callbackUrl: URL;
    state: string;
    nonce: string;
    codeVerifier: string;
  }): Promise<{ tokens: TokenResult; claims: UserClaims }>;
  /** Refresh token grant. `OidcError('invalid_grant')` means the grant is gone: end the session. */
  refresh(refreshToken: string): Promise<TokenResult>;
  /** Client credentials grant for `scope` (service-to-service tokens). */
  clientCredentials(scope: string): Promise<TokenResult>;
  /** RP-initiated logout URL, or null when the IdP has no end-session endpoint. */
  endSessionUrl(opts: { idTokenHint?: string; postLogoutRedirectUri: string }): Promise<string | null>;
  /** Revokes a token (RFC 7009). Resolves false when the IdP has no revocation endpoint. */
  revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<boolean>;
}

/**
 * How a call to the IdP failed, so callers can act without parsing messages:
 * - `invalid_grant`: the code / refresh token is invalid, expired or revoked; a session
 *   built on it must end;
 * - `unavailable`: the IdP could not be reached, timed out or failed (5xx, not JSON);
 *   worth retrying later, a session stays;
 * - `rejected`: the IdP or our own validation refused the exchange for another reason
 *   (an `error` in the authorization response, bad state or nonce, invalid client,
 *   a malformed token). Retrying the same thing will not help.
 */
export type OidcFailure = 'invalid_grant' | 'unavailable' | 'rejected';

/** A failure talking to the IdP. `message` holds no token or secret; `oauthError` is the IdP's `error` code if it sent one. */
export class OidcError extends Error {
  override readonly name = 'OidcError';
  constructor(
    readonly kind: OidcFailure,
    message: string,
    readonly oauthError?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface OidcClientOptions {
  /** Issuer identifier; discovery at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  readonly clientId: string;
  /** Read at each use, so a rotated secret is picked up without a restart. */
  readonly clientSecret: SecretSource;
  /** Must match what the client is registered with at the IdP. */
  readonly tokenAuthMethod: TokenAuthMethod;
  /**
   * Allow a plain-http issuer (tests, the embedded dev IdP). Has an effect only when
   * the issuer is http; an http issuer without it is refused at creation.
   */
  readonly allowInsecure: boolean;
  readonly logger: Logger;
  /** Timeout of each request to the IdP, in milliseconds. Default `OIDC_DEFAULTS.timeoutMs` (10 000, `OIDC_TIMEOUT_MS`). */
  readonly timeoutMs?: number;
  /** Fetch implementation for every request to the IdP. Default the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Clock, epoch milliseconds (for `expiresAt`). Default `Date.now`. */
  readonly now?: () => number;
  /** How long a `ready()` answer is reused, in milliseconds. Default `5000`. */
  readonly readyCacheMs?: number;
}

/**
 * Creates the relying party. Nothing is fetched here: discovery runs on first use and is
 * cached once it succeeded. A failed discovery is forgotten, so the next call tries
 * again: the IdP may start after the BFF (the embedded dev IdP is mounted in the BFF's
 * own app, which is not listening yet when this is created). Concurrent callers share
 * one discovery request.
 */
export function createOidcClient(opts: OidcClientOptions): OidcClient {
  const issuerUrl = new URL(opts.issuer);
  const insecure = issuerUrl.protocol === 'http:';
  if (insecure && !opts.allowInsecure) {
    throw new Error(`OIDC issuer ${opts.issuer} is plain http; only https issuers are allowed here`);
  }
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'oidc-client' });

  // The secret is read each time the token endpoint is called, never captured once.
  const clientAuth: oidc.ClientAuth = (as, client, body, headers) => {
    const secret = opts.clientSecret.current();
    const method = opts.tokenAuthMethod === 'client_secret_post' ? oidc.ClientSecretPost : oidc.ClientSecretBasic;
    method(secret)(as, client, body, headers);
  };

  let discovering: Promise<oidc.Configuration> | undefined;
  const configuration = (): Promise<oidc.Configuration> => {
    discovering ??= oidc
      .discovery(issuerUrl, opts.clientId, undefined, clientAuth, {
        timeout: Math.max(1, Math.ceil((opts.timeoutMs ?? OIDC_DEFAULTS.timeoutMs) / 1000)),
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        ...(opts.fetch ? { [oidc.customFetch]: opts.fetch as oidc.CustomFetch } : {}),
      })
      .then(
        (config) => {
          log.info({ issuer: opts.issuer }, 'OIDC discovery succeeded');
          return config;
        },
        (err: unknown) => {
          discovering = undefined;
          const failure = classify(err);
          log.warn({ issuer: opts.issuer, err: describe(err) }, 'OIDC discovery failed; will retry on next use');
          throw new OidcError('unavailable', 'The identity provider is unavailable.', failure.oauthError, { cause: err });
        },
      );
    return discovering;
  };

  /**
   * A token endpoint answer of `invalid_client` may mean the secret was rotated under us
   * (a replaced file not yet re-read): re-read it once and retry if it changed.
   */
  const withSecretRetry = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (oauthErrorOf(err) === 'invalid_client' && (await opts.clientSecret.refresh())) {
        log.info('client secret changed after invalid_client; retrying once');
        return call();
      }
      throw err;
    }
  };

  const toTokens = (res: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): TokenResult => {
    const expiresIn = res.expiresIn();
    const sub = res.id_token ? res.claims()?.sub : undefined;
    return {
      accessToken: res.access_token,
      ...(res.refresh_token ? { refreshToken: res.refresh_token } : {}),
      ...(res.id_token ? { idToken: res.id_token } : {}),
      ...(expiresIn !== undefined ? { expiresIn, expiresAt: now() + expiresIn * 1000 } : {}),
      ...(sub ? { sub } : {}),
    };
  };

  const guard = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      const failure = classify(err);
      log.warn({ op: what, kind: failure.kind, oauthError: failure.oauthError, err: describe(err) }, 'OIDC call failed');
      throw failure;
    }
  };

  // Readiness: the first call is the discovery itself; later ones re-check that the
  // document still answers, without replacing the configuration in use.
  const timeoutMs = opts.timeoutMs ?? OIDC_DEFAULTS.timeoutMs;
  const discoveryUrl = `${opts.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let readiness: { at: number; check: Promise<void> } | undefined;
  const checkReachable = async (): Promise<void> => {
    if (!discovering) {
      await configuration();
      return;
    }
    await discovering;
    try {
      const res = await (opts.fetch ?? fetch)(discoveryUrl, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`discovery answered ${res.status}`);
    } catch (err) {
      log.warn({ err: describe(err) }, 'OIDC discovery document not reachable');
      throw new OidcError('unavailable', 'The identity provider is unavailable.', undefined, { cause: err });
    }
  };

  return {
    issuer: opts.issuer,

    ready() {
      const t = now();
      if (!readiness || t - readiness.at >= (opts.readyCacheMs ?? 5000)) {
        const entry = { at: t, check: checkReachable() };
        readiness = entry;
        // A failed first discovery is not reused: the next probe retries at once.
        entry.check.catch(() => {
          if (!discovering && readiness === entry) readiness = undefined;
        });
      }
      return readiness.check;
    },

    async metadata() {
      const meta = (await configuration()).serverMetadata();
      return { issuer: meta.issuer, jwksUri: meta.jwks_uri };
    },

    async startLogin({ redirectUri, scope, prompt }) {
      const config = await configuration();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const params: Record<string, string> = {
        redirect_uri: redirectUri,
        scope,
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      };
      if (prompt) params.prompt = prompt;
      return { url: oidc.buildAuthorizationUrl(config, params).href, state, nonce, codeVerifier };
    },

    async completeLogin({ callbackUrl, state, nonce, codeVerifier }) {
      const config = await configuration();
      return guard('authorization_code', async () => {
        const res = await oidc.authorizationCodeGrant(config, callbackUrl, {
          expectedState: state,
          expectedNonce: nonce,
          pkceCodeVerifier: codeVerifier,
          idTokenExpected: true,
        });
        const idClaims = res.claims();
        if (!idClaims) throw new OidcError('rejected', 'The identity provider returned no ID token.');
        const tokens = toTokens(res);
        let profile: Record<string, unknown> = idClaims;
        // Some IdPs (oidc-provider by default) put profile claims only in UserInfo when an
        // access token for it is issued. One extra call, at login only; best effort.
        if ((idClaims.name === undefined || idClaims.email === undefined) && config.serverMetadata().userinfo_endpoint) {
          try {
            profile = { ...(await oidc.fetchUserInfo(config, res.access_token, idClaims.sub)), ...idClaims };
          } catch (err) {
            log.debug({ err: describe(err) }, 'UserInfo not available; using ID token claims only');
          }
        }
        const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
        return {
          tokens,
          claims: { sub: idClaims.sub, name: str(profile.name), email: str(profile.email), sid: str(idClaims.sid) },
        };
      });
    },

    async refresh(refreshToken) {
      const config = await configuration();
      return guard('refresh_token', () =>
        withSecretRetry(async () => toTokens(await oidc.refreshTokenGrant(config, refreshToken))),
      );
    },

    async clientCredentials(scope) {
      const config = await configuration();
      return guard('client_credentials', () =>
        withSecretRetry(async () => toTokens(await oidc.clientCredentialsGrant(config, { scope }))),
      );
    },

    async endSessionUrl({ idTokenHint, postLogoutRedirectUri }) {
      const config = await configuration();
      if (!config.serverMetadata().end_session_endpoint) return null;
      const params: Record<string, string> = { post_logout_redirect_uri: postLogoutRedirectUri };
      if (idTokenHint) params.id_token_hint = idTokenHint;
      return oidc.buildEndSessionUrl(config, params).href;
    },

    async revoke(token, hint) {
      const config = await configuration();
      if (!config.serverMetadata().revocation_endpoint) return false;
      await guard('revocation', () =>
        withSecretRetry(() => oidc.tokenRevocation(config, token, { token_type_hint: hint })),
      );
      return true;
    },
  };
}

/** Maps whatever openid-client (or fetch) threw to an `OidcError`. */
export function classify(err: unknown): OidcError {
  if (err instanceof OidcError) return err;
  const safe = (kind: OidcFailure, message: string, oauthError?: string) =>
    new OidcError(kind, message, oauthError, { cause: err });

  if (err instanceof oidc.ResponseBodyError) {
    if (err.error === 'invalid_grant') return safe('invalid_grant', 'The grant is no longer valid.', err.error);
    if (err.status >= 500 || err.error === 'temporarily_unavailable' || err.error === 'server_error') {
      return safe('unavailable', 'The identity provider is unavailable.', err.error);
    }
    return safe('rejected', 'The identity provider refused the request.', err.error);
  }
  // A 401 with WWW-Authenticate (e.g. invalid_client under client_secret_basic).
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    const code = oauthErrorOf(err);
    if (code === 'invalid_grant') return safe('invalid_grant', 'The grant is no longer valid.', code);
    if (err.status >= 500) return safe('unavailable', 'The identity provider is unavailable.', code);
    return safe('rejected', 'The identity provider refused the request.', code);
  }
  if (err instanceof oidc.AuthorizationResponseError) {
    return safe('rejected', 'The identity provider returned an error.', err.error);
  }
  if (err instanceof oidc.ClientError) {
    switch (err.code) {
      case 'OAUTH_TIMEOUT':
      case 'OAUTH_ABORT':
      case 'OAUTH_RESPONSE_IS_NOT_JSON':
        return safe('unavailable', 'The identity provider is unavailable.');
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM': {
        const status = err.cause instanceof Response ? err.cause.status : 0;
        return status >= 500 || status === 0
          ? safe('unavailable', 'The identity provider is unavailable.')
          : safe('rejected', 'The identity provider sent an unexpected response.');
      }
      default:
        return safe('rejected', 'The identity provider response failed validation.');
    }
  }
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return safe('unavailable', 'The identity provider is unavailable.');
  }
  // fetch reports network failures (refused, reset, DNS) as a TypeError; openid-client's
  // own argument errors are TypeErrors too but carry an ERR_INVALID_ARG_* code.
  if (err instanceof TypeError && !String((err as { code?: unknown }).code ?? '').startsWith('ERR_INVALID_ARG')) {
    return safe('unavailable', 'The identity provider is unavailable.');
  }
  return safe('rejected', 'The identity provider request failed.');
}

/** The OAuth `error` code an IdP answered with, from a JSON body or a WWW-Authenticate challenge. */
function oauthErrorOf(err: unknown): string | undefined {
  if (err instanceof oidc.ResponseBodyError) return err.error;
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    const code = err.cause.find((c) => typeof c.parameters.error === 'string')?.parameters.error;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * A log-safe description of an error from the IdP path: name, code and message only.
 * Bodies, headers and causes (which may echo request parameters) stay out of logs.
 */
function describe(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { code?: unknown; status?: unknown };
  const oauthError = oauthErrorOf(err);
  // Only an Error cause (a network failure's code); response bodies and challenges stay out.
  const cause = e.cause instanceof Error ? `${e.cause.name}: ${(e.cause as { code?: unknown }).code ?? e.cause.message}` : undefined;
  return {
    type: e.name,
    message: e.message,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(oauthError ? { oauthError } : {}),
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    ...(cause ? { cause } : {}),
  };
}
