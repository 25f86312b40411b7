import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { OIDC_DEFAULTS } from '../config/defaults.js';
import type { Config } from '../config/index.js';
import { sendError } from '../lib/error-response.js';
import { withTimeout } from '../lib/with-timeout.js';
import type { Logger } from '../observability/logger.js';
import { secretEquals } from '../secrets/index.js';
import {
  endSession,
  type AuthSession,
  type MobileLogin,
  type PendingLogin,
  preventSliding,
  regenerateSession,
  saveSession,
  type SessionStore,
  type SessionTokens,
  type SharedState,
  type TokenCrypto,
} from '../session/index.js';
import { backchannelLogout } from './backchannel-logout.js';
import { type AuthEvents, NO_AUTH_EVENTS } from './events.js';
import { createHandoffCodes } from './mobile/handoff-codes.js';
import { appSessionRecord, viaSessionHandle, writeSession } from './mobile/session-handle.js';
import { appReturnUrl, createMobileRouter, mobileLoginRequest } from './mobile/routes.js';
import { requireCsrfHeader } from './csrf.js';
import { OidcError, type OidcClient } from './oidc-client.js';
import { PAGES, sendAuthPage } from './pages.js';
import { safeReturnTo } from './return-to.js';

export interface AuthRouterDeps {
  readonly config: Config;
  readonly oidc: OidcClient;
  readonly crypto: TokenCrypto;
  /** The session store (`createSessionStore`): back-channel logout ends sessions through it. */
  readonly sessions: SessionStore;
  /** The shared state under the store (replayed logout tokens are remembered there). */
  readonly state: SharedState;
  readonly logger: Logger;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * `prompt` sent with the authorization request. Default: none. OpenID Connect Core 11
   * asks for `prompt=consent` with `offline_access`, and a stock oidc-provider drops
   * `offline_access` (no refresh token) without it; but Entra ID, Auth0 and others then
   * show a consent screen at every sign-in, and issue refresh tokens without it. The
   * dev IdP issues them without it too. Set `'consent'` for an IdP that needs it.
   */
  readonly loginPrompt?: string;
  /** How long a started sign-in may take until its callback, in seconds. Default `600`. */
  readonly loginTimeoutS?: number;
  /** How long logout waits for the IdP to revoke the refresh token, in ms. Default `OIDC_DEFAULTS.revokeTimeoutMs` (2000, `OIDC_REVOKE_TIMEOUT_MS`). */
  readonly revokeTimeoutMs?: number;
  /** Sign-ins, sign-outs and back-channel logouts, for metrics. Default `NO_AUTH_EVENTS`. */
  readonly events?: AuthEvents;
}

/** Sign-ins kept in flight per session (several tabs); older ones are dropped. */
const MAX_PENDING_LOGINS = 3;

/**
 * The `/auth` endpoints of the HTTP contract: `login`, `callback`, `user`, `logout`,
 * `backchannel-logout`; with `MOBILE_APPS`, also the native apps' `mobile/login`,
 * `mobile/token` and `mobile/logout` (contracts/mobile-sign-in.md, see mobile/). Mount after the session middleware:
 * `app.use('/auth', createAuthRouter(deps))`. Answers that need a session but have none
 * are JSON 401s, never redirects; JSON endpoints need `X-CSRF: 1`. Responses that set,
 * change or clear the session are `Cache-Control: no-store`.
 */
export function createAuthRouter(deps: AuthRouterDeps): express.Router {
  const { config, oidc, crypto } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'auth-routes' });
  const events = deps.events ?? NO_AUTH_EVENTS;
  const scope = config.oidc.scopes.join(' ');
  const prompt = deps.loginPrompt;
  const loginTimeoutMs = (deps.loginTimeoutS ?? 600) * 1000;
  const revokeTimeoutMs = deps.revokeTimeoutMs ?? OIDC_DEFAULTS.revokeTimeoutMs;
  const publicUrl = config.server.publicUrl;
  // `baseUrl` is where the router is mounted (`/auth`); the redirect URI registered at
  // the IdP is PUBLIC_URL + that + `/callback`. Never built from the Host header.
  const redirectUri = (req: Request) => `${publicUrl}${req.baseUrl}/callback`;

  const router = express.Router();

  /** Starts a sign-in at the IdP for this browser, landing on `returnTo` or handing off to a native app (`mobile`). */
  const beginLogin = async (req: Request, res: Response, returnTo: string, mobile?: MobileLogin) => {
    let login;
    try {
      login = await oidc.startLogin({ redirectUri: redirectUri(req), scope, ...(prompt ? { prompt } : {}) });
    } catch (err) {
      log.warn({ requestId: res.locals.requestId, kind: err instanceof OidcError ? err.kind : 'unknown' }, 'cannot start sign-in');
      return sendAuthPage(res, ...PAGES.signInUnavailable);
    }
    const t = now();
    const pending: PendingLogin[] = (req.session.pendingLogins ?? [])
      .filter((p) => t - p.createdAt < loginTimeoutMs)
      .slice(-(MAX_PENDING_LOGINS - 1));
    pending.push({ state: login.state, nonce: login.nonce, codeVerifier: login.codeVerifier, returnTo, createdAt: t, ...(mobile ? { mobile } : {}) });
    req.session.pendingLogins = pending;
    // A visitor who is not signed in gets a session only for the sign-in: it lives as
    // long as the sign-in may take, not the idle timeout. The store's expiry follows the
    // cookie's (sessionTtlSeconds), so an abandoned sign-in leaves nothing for longer;
    // the callback then issues a fresh session with the normal lifetime.
    if (!req.session.auth) req.session.cookie.maxAge = loginTimeoutMs;
    await saveSession(req);
    redirect(res, login.url);
  };

  router.get('/login', async (req, res) => {
    noStore(res);
    await beginLogin(req, res, safeReturnTo(req.query.returnTo));
  });

  // Native apps (contracts/mobile-sign-in.md): only when MOBILE_APPS lists some;
  // otherwise these paths fall through to the 404 of every unknown endpoint.
  const mobileApps = config.mobile.apps.size > 0;
  const codes = createHandoffCodes({ state: deps.state, ttlS: config.mobile.handoffTtlS, now });
  if (mobileApps) {
    router.get('/mobile/login', async (req, res) => {
      noStore(res);
      const mobile = mobileLoginRequest(req.query, config.mobile);
      if (!mobile) {
        log.info({ requestId: res.locals.requestId }, 'app sign-in request refused');
        return sendAuthPage(res, ...PAGES.badAppSignIn);
      }
      await beginLogin(req, res, '/', mobile);
    });
  }

  router.get('/callback', async (req, res) => {
    noStore(res);
    const state = typeof req.query.state === 'string' ? req.query.state : undefined;
    const pendings = req.session.pendingLogins ?? [];
    const pending = state === undefined ? undefined : pendings.find((p) => p.state === state);
    if (!pending) {
      log.info({ requestId: res.locals.requestId }, 'sign-in callback with an unknown, used or missing state');
      return sendAuthPage(res, ...PAGES.signInFailed);
    }

    // Single use: the pending login is gone from the store before the code is redeemed,
    // so a replayed callback (same state and code) finds nothing.
    const rest = pendings.filter((p) => p !== pending);
    if (rest.length > 0) req.session.pendingLogins = rest;
    else delete req.session.pendingLogins;
    await saveSession(req);

    // A session that only existed for this sign-in has nothing left: remove it.
    const dropSignInSession = async () => {
      if (!req.session.auth && !req.session.pendingLogins) await endSession(req, res, config);
    };
    const fail = async (page: readonly [number, string, string], why: Record<string, unknown>) => {
      log.info({ requestId: res.locals.requestId, ...why }, 'sign-in failed');
      await dropSignInSession();
      sendAuthPage(res, ...page);
    };

    if (now() - pending.createdAt >= loginTimeoutMs) return fail(PAGES.signInFailed, { reason: 'expired' });
    if (req.query.error !== undefined) {
      // The IdP's own error code only (a fixed vocabulary), never its description.
      const code = typeof req.query.error === 'string' && /^[\w.-]{1,64}$/.test(req.query.error) ? req.query.error : 'invalid';
      return fail(PAGES.signInFailed, { reason: 'idp_error', oauthError: code });
    }

    let result;
    try {
      const callbackUrl = new URL(redirectUri(req));
      callbackUrl.search = new URL(req.originalUrl, 'http://local.invalid').search;
      result = await oidc.completeLogin({
        callbackUrl,
        state: pending.state,
        nonce: pending.nonce,
        codeVerifier: pending.codeVerifier,
      });
    } catch (err) {
      const kind = err instanceof OidcError ? err.kind : 'unknown';
      return fail(kind === 'unavailable' ? PAGES.signInUnavailable : PAGES.signInFailed, {
        reason: 'exchange_failed',
        kind,
        oauthError: err instanceof OidcError ? err.oauthError : undefined,
      });
    }

    const t = now();
    const { tokens, claims } = result;
    const auth: AuthSession = {
      sub: claims.sub,
      name: claims.name,
      email: claims.email,
      sid: claims.sid,
      loginAt: t,
      expiresAt: t + config.session.absoluteTimeoutS * 1000,
      logoutId: randomBytes(16).toString('base64url'),
      tokens: crypto.encrypt(
        {
          accessToken: tokens.accessToken,
          ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
          ...(tokens.idToken ? { idToken: tokens.idToken } : {}),
          ...(tokens.expiresAt !== undefined ? { accessTokenExpiresAt: tokens.expiresAt } : {}),
        },
        claims.sub,
      ),
      accessTokenExpiresAt: tokens.expiresAt ?? null,
      tokenGeneration: 0,
    };
    if (pending.mobile) {
      // No cookie for the system browser: the app gets a one-time code through its
      // claimed link, and the session only when it proves it holds the verifier.
      if (mobileApps && config.mobile.apps.has(pending.mobile.app)) {
        await dropSignInSession();
        // The user waits in a session record no request can reach, for as long as the code lives.
        const waitingId = `h.${randomBytes(32).toString('base64url')}`;
        await writeSession(deps.sessions, waitingId, appSessionRecord(auth, 'mobile-handoff', config.mobile.handoffTtlS * 1000, t));
        const code = await codes.issue({ app: pending.mobile.app, codeChallenge: pending.mobile.codeChallenge, sessionId: waitingId });
        log.info(
          { requestId: res.locals.requestId, app: pending.mobile.app, hasRefreshToken: tokens.refreshToken !== undefined },
          'signed in for an app',
        );
        return redirect(res, appReturnUrl(config.mobile, pending.mobile, code));
      }
      return fail(PAGES.badAppSignIn, { reason: 'app no longer listed' });
    }
    // Session fixation: the id that existed before sign-in (which a third party could
    // have planted) is discarded with its store entry; the user gets a fresh one.
    await regenerateSession(req);
    req.session.auth = auth;
    await saveSession(req);
    log.info({ requestId: res.locals.requestId, hasRefreshToken: tokens.refreshToken !== undefined }, 'signed in');
    events.signedIn('web');
    redirect(res, pending.returnTo);
  });

  /**
   * Who is signed in. `?slide=false` answers without sliding the idle timeout (for
   * polling): `sessionExpiresAt` is then when the session ends if nothing else happens.
   */
  router.get('/user', requireCsrfHeader, async (req, res) => {
    noStore(res);
    const auth = req.session?.auth;
    if (!auth) {
      return sendError(res, 401, 'UNAUTHENTICATED', 'Not signed in.');
    }
    const { sub, name, email, expiresAt: hardEnd, logoutId } = auth;
    let idleEnd = now() + config.session.idleTimeoutS * 1000;
    if (req.query.slide === 'false') {
      preventSliding(req);
      idleEnd = (await deps.sessions.expiresAt(req.sessionID)) ?? now();
    }
    return res.json({
      sub,
      name,
      email,
      sessionExpiresAt: new Date(Math.min(idleEnd, hardEnd)).toISOString(),
      // A native app signs out with its handle (POST), not through the browser's link.
      logoutUrl: viaSessionHandle(req) ? `${req.baseUrl}/mobile/logout` : `${req.baseUrl}/logout?sid=${encodeURIComponent(logoutId)}`,
    });
  });

  router.post(
    '/backchannel-logout',
    ...backchannelLogout({
      oidc,
      clientId: config.oidc.clientId,
      sessions: deps.sessions,
      state: deps.state,
      logger: deps.logger,
      now,
      events,
    }),
  );

  /** Revokes an ended session's refresh token at the IdP, waiting at most `revokeTimeoutMs`. */
  const revokeRefreshToken = async (tokens: SessionTokens | null) => {
    if (!tokens?.refreshToken) return;
    const revoked = oidc.revoke(tokens.refreshToken, 'refresh_token').catch((err: unknown) => {
      log.warn({ kind: err instanceof OidcError ? err.kind : 'unknown' }, 'refresh token revocation failed');
      return false;
    });
    await withTimeout(revoked, revokeTimeoutMs);
  };

  if (mobileApps) {
    router.use('/mobile', createMobileRouter({ config, codes, sessions: deps.sessions, crypto, logger: deps.logger, now, revokeRefreshToken, events }));
  }

  router.get('/logout', async (req, res) => {
    noStore(res);
    const auth = req.session?.auth;
    const sid = req.query.sid;
    // The per-session logout id makes a cross-site GET unable to sign the user out.
    if (!auth || typeof sid !== 'string' || !secretEquals(sid, auth.logoutId)) {
      return sendAuthPage(res, ...PAGES.badLogoutLink);
    }
    const tokens = crypto.decrypt(auth.tokens, auth.sub);
    await endSession(req, res, config);
    log.info({ requestId: res.locals.requestId }, 'signed out');
    events.signedOut('web');
    await revokeRefreshToken(tokens);

    let target = '/';
    try {
      target =
        (await withTimeout(
          oidc.endSessionUrl({
            ...(tokens?.idToken ? { idTokenHint: tokens.idToken } : {}),
            postLogoutRedirectUri: `${publicUrl}/`,
          }),
          revokeTimeoutMs,
        )) ?? '/';
    } catch {
      // The IdP is unreachable: the BFF session is gone anyway; land on the home page.
    }
    redirect(res, target);
  });

  return router;
}

/**
 * A 302 with an empty body. Express's `res.redirect` repeats the URL in the body, which
 * for the logout redirect would put the `id_token_hint` in a second place.
 */
function redirect(res: Response, url: string): void {
  res.status(302).location(url).end();
}

function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
}
