import express, { type RequestHandler } from 'express';
import { createRemoteJWKSet } from 'jose';
import type { Logger } from '../observability/logger.js';
import { type AuthEvents, NO_AUTH_EVENTS } from './events.js';
import type { SessionStore, SharedState } from '../session/index.js';
import { createLogoutTokenVerifier, type LogoutClaims, LogoutTokenError } from './logout-token.js';
import type { OidcClient } from './oidc-client.js';

export interface BackchannelLogoutOptions {
  readonly oidc: OidcClient;
  /** Our client id: the `aud` of logout tokens. */
  readonly clientId: string;
  /** Where sessions are ended (through its sid/sub index). */
  readonly sessions: SessionStore;
  /** Remembers the `jti` of every logout token accepted, shared by all instances. */
  readonly state: SharedState;
  readonly logger: Logger;
  /** How old a logout token may be, in seconds. Default `300`. */
  readonly maxAgeS?: number;
  /** Allowed clock difference with the IdP, in seconds. Default `30`. */
  readonly clockToleranceS?: number;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Each logout ended or refused, for metrics. Default `NO_AUTH_EVENTS`. */
  readonly events?: AuthEvents;
}

/** Largest request body accepted; a logout token is well under 2 KB. */
const BODY_LIMIT = '16kb';

/**
 * `POST /auth/backchannel-logout`: OpenID Connect Back-Channel Logout 1.0. The IdP
 * posts a `logout_token` (form-encoded); a valid one (see logout-token.ts) whose `jti`
 * was not seen before ends every session it names, whichever instance created it: by
 * `sid` (that IdP session), by `sub` alone (all of the user's sessions), or both (the
 * sessions matching both). Answers 200, or 400 for a missing, invalid or replayed token
 * (ending nothing), or 503 when the IdP's keys cannot be fetched. Never needs a session
 * or a cookie; the signed token is the request's only credential.
 */
export function backchannelLogout(opts: BackchannelLogoutOptions): RequestHandler[] {
  const log = opts.logger.child({ component: 'backchannel-logout' });
  const maxAgeS = opts.maxAgeS ?? 300;
  const toleranceS = opts.clockToleranceS ?? 30;

  // Built on first use from discovery (the IdP may start after the BFF), then kept: jose
  // caches the keys and refetches them when a token names a key it does not know.
  let verifier: Promise<(token: string) => Promise<LogoutClaims>> | undefined;
  const verify = async (token: string) => {
    if (!verifier) {
      verifier = opts.oidc.metadata().then(({ issuer, jwksUri }) => {
        if (!jwksUri) throw new Error('the identity provider publishes no jwks_uri');
        return createLogoutTokenVerifier({
          issuer,
          clientId: opts.clientId,
          keys: createRemoteJWKSet(new URL(jwksUri)),
          maxAgeS,
          clockToleranceS: toleranceS,
          ...(opts.now ? { now: opts.now } : {}),
        });
      });
      verifier.catch(() => (verifier = undefined));
    }
    return (await verifier)(token);
  };

  const events = opts.events ?? NO_AUTH_EVENTS;
  const refuse = (res: express.Response, status: 400 | 503) => {
    events.backchannelLogout('refused');
    return res.status(status).json(
      status === 400
        ? { error: 'invalid_request', error_description: 'The logout token is not valid.' }
        : { error: 'temporarily_unavailable', error_description: 'The logout token cannot be checked right now.' },
    );
  };

  const handler: RequestHandler = async (req, res) => {
    // Back-Channel Logout 1.0, 2.8: responses are not to be cached.
    res.set('Cache-Control', 'no-store');
    const body = req.body as Record<string, unknown> | undefined;
    const token = typeof body?.logout_token === 'string' ? body.logout_token : undefined;
    if (!token) {
      log.info({ reason: 'missing' }, 'back-channel logout refused');
      return refuse(res, 400);
    }
    let claims: LogoutClaims;
    try {
      claims = await verify(token);
    } catch (err) {
      if (err instanceof LogoutTokenError) {
        log.info({ reason: err.reason }, 'back-channel logout refused');
        return refuse(res, 400);
      }
      log.warn({ err: { type: (err as Error)?.name, message: (err as Error)?.message } }, 'back-channel logout: cannot verify');
      return refuse(res, 503);
    }
    // Recorded before anything ends, atomically across instances: one use per token.
    // Kept as long as the token could pass the iat check.
    const firstUse = await opts.state.setIfAbsent(`logout-jti:${claims.jti}`, '1', (maxAgeS + toleranceS) * 1000);
    if (!firstUse) {
      log.info({ reason: 'replayed jti' }, 'back-channel logout refused');
      return refuse(res, 400);
    }
    const ended = await opts.sessions.endSessions({
      ...(claims.sid !== undefined ? { sid: claims.sid } : {}),
      ...(claims.sub !== undefined ? { sub: claims.sub } : {}),
    });
    log.info({ requestId: res.locals.requestId, by: claims.sid !== undefined ? 'sid' : 'sub', ended }, 'back-channel logout');
    events.backchannelLogout('ended');
    res.status(200).end();
  };

  return [express.urlencoded({ extended: false, limit: BODY_LIMIT }), handler];
}
