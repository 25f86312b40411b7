import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** The event a logout token must carry (OpenID Connect Back-Channel Logout 1.0, 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Asymmetric JWS algorithms: a logout token MAC'd with the client secret is not accepted. */
const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Who a valid logout token signs out: the IdP session `sid`, the user `sub`, or both. */
export interface LogoutClaims {
  readonly sid?: string;
  readonly sub?: string;
  /** The token's unique id, for replay detection. */
  readonly jti: string;
}

/** The logout token is not valid; `reason` is a fixed code for logs (no token content). */
export class LogoutTokenError extends Error {
  override readonly name = 'LogoutTokenError';
  constructor(readonly reason: string) {
    super(`invalid logout token: ${reason}`);
  }
}

export interface LogoutTokenVerifierOptions {
  /** The IdP's issuer identifier (`iss` must equal it). */
  readonly issuer: string;
  /** Our client id (`aud` must contain it). */
  readonly clientId: string;
  /** The IdP's signing keys, e.g. jose's `createRemoteJWKSet(jwks_uri)`. */
  readonly keys: JWTVerifyGetKey;
  /** Accepted signing algorithms. Default: the asymmetric JWS algorithms (never `none` nor HMAC). */
  readonly algorithms?: readonly string[];
  /** How old (`iat`) a logout token may be, in seconds. Default `300`. */
  readonly maxAgeS?: number;
  /** Allowed clock difference with the IdP, in seconds. Default `30`. */
  readonly clockToleranceS?: number;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Validates a back-channel logout token as OpenID Connect Back-Channel Logout 1.0 (2.6)
 * says: a JWS signed by the IdP with an accepted algorithm (so not `none`, not
 * encrypted), `iss`, `aud`, a fresh `iat` (neither older than `maxAgeS` nor in the
 * future), `exp` if present, a `jti`, an `events` object with the back-channel logout
 * member, a `sid` and/or `sub`, and no `nonce` (which tells it apart from an ID token).
 * Rejects with `LogoutTokenError` for an invalid token; other errors (the IdP's keys
 * cannot be fetched) propagate as they are. Replay of `jti` is the caller's to check.
 */
export function createLogoutTokenVerifier(opts: LogoutTokenVerifierOptions): (token: string) => Promise<LogoutClaims> {
  const now = opts.now ?? Date.now;
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, opts.keys, {
        issuer: opts.issuer,
        audience: opts.clientId,
        algorithms: [...(opts.algorithms ?? ASYMMETRIC_ALGS)],
        maxTokenAge: opts.maxAgeS ?? 300,
        clockTolerance: opts.clockToleranceS ?? 30,
        currentDate: new Date(now()),
        requiredClaims: ['iat', 'jti', 'events'],
      }));
    } catch (err) {
      throw joseRejection(err);
    }
    const events = payload.events;
    if (!isObject(events) || !isObject((events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT])) {
      throw new LogoutTokenError('events');
    }
    if ('nonce' in payload) throw new LogoutTokenError('nonce');
    const sid = nonEmpty(payload.sid);
    const sub = nonEmpty(payload.sub);
    if (payload.sid !== undefined && sid === undefined) throw new LogoutTokenError('sid');
    if (payload.sub !== undefined && sub === undefined) throw new LogoutTokenError('sub');
    if (sid === undefined && sub === undefined) throw new LogoutTokenError('no sid or sub');
    const jti = nonEmpty(payload.jti);
    if (jti === undefined || jti.length > 256) throw new LogoutTokenError('jti');
    return { jti, ...(sid !== undefined ? { sid } : {}), ...(sub !== undefined ? { sub } : {}) };
  };
}

/**
 * jose's verdict as a `LogoutTokenError` when the token is at fault; errors about getting
 * the keys (a timeout, a network failure, a JWKS that is not one) are returned unchanged.
 */
function joseRejection(err: unknown): unknown {
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) return err;
  if (err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired) {
    return new LogoutTokenError(`claim ${err.claim} ${err.reason}`);
  }
  if (err instanceof joseErrors.JOSEError) return new LogoutTokenError(err.code);
  // Anything else jose throws for a malformed input is a TypeError of its own making;
  // fetch failures are TypeErrors too, but carry a cause.
  if (err instanceof TypeError && err.cause === undefined) return new LogoutTokenError('malformed');
  return err;
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
