import { createHash } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Config, MobileConfig } from '../../config/index.js';
import { sendError } from '../../lib/error-response.js';
import type { Logger } from '../../observability/logger.js';
import { type AuthEvents, NO_AUTH_EVENTS } from '../events.js';
import { secretEquals } from '../../secrets/index.js';
import type { MobileLogin, SessionStore, SessionTokens, TokenCrypto } from '../../session/index.js';
import type { HandoffCodes } from './handoff-codes.js';
import { appSessionRecord, mintHandle, viaSessionHandle, writeSession } from './session-handle.js';

/** What RFC 7636 allows in a `code_verifier`: 43–128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** A S256 challenge: BASE64URL of 32 bytes, no padding. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** The app's `state`: opaque to us, but bounded (it goes into a URL and the store). */
const STATE = /^[\x21-\x7e]{1,512}$/;

/**
 * The app's sign-in request at `/auth/mobile/login`, checked: a listed app, an S256
 * challenge and a state. Null for anything else (the caller answers with a 400 page and
 * no redirect: an unchecked request must never reach the app's return link).
 */
export function mobileLoginRequest(query: Request['query'], mobile: MobileConfig): MobileLogin | null {
  const { app, code_challenge: challenge, code_challenge_method: method, state } = query;
  if (typeof app !== 'string' || !mobile.apps.has(app)) return null;
  if (method !== 'S256' || typeof challenge !== 'string' || !CHALLENGE.test(challenge)) return null;
  if (typeof state !== 'string' || !STATE.test(state)) return null;
  return { app, codeChallenge: challenge, state };
}

/** `returnUrl?code=…&state=…` for the app of `login` (listed: mobileLoginRequest checked it). */
export function appReturnUrl(mobile: MobileConfig, login: MobileLogin, code: string): string {
  const url = new URL(mobile.apps.get(login.app)!.returnUrl);
  url.searchParams.set('code', code);
  url.searchParams.set('state', login.state);
  return url.toString();
}

export interface MobileRouterDeps {
  readonly config: Config;
  readonly codes: HandoffCodes;
  readonly sessions: SessionStore;
  readonly crypto: TokenCrypto;
  readonly logger: Logger;
  readonly now: () => number;
  /** Revokes the refresh token of an ended session, bounded in time (shared with `/auth/logout`). */
  readonly revokeRefreshToken: (tokens: SessionTokens | null) => Promise<void>;
  /** Sign-ins and sign-outs, for metrics. Default `NO_AUTH_EVENTS`. */
  readonly events?: AuthEvents;
}

/** Largest token request: three short strings. */
const TOKEN_BODY_LIMIT = '4kb';

/**
 * `POST /token` and `POST /logout` of the native-app flow, mounted at `/auth/mobile`
 * (the login is a variant of `/auth/login`, in routes.ts). Every answer is `no-store`.
 */
export function createMobileRouter(deps: MobileRouterDeps): express.Router {
  const { config, codes, sessions, now } = deps;
  const log = deps.logger.child({ component: 'mobile-sign-in' });
  const router = express.Router();
  const events = deps.events ?? NO_AUTH_EVENTS;
  const invalidGrant = (res: Response, reason: string) => {
    log.info({ requestId: res.locals.requestId, reason }, 'mobile code refused');
    sendError(res, 400, 'invalid_grant', 'The code is invalid, expired, used, or was issued to another app.');
  };
  // Malformed JSON is one more bad token request, answered like the others.
  const parseJson = express.json({ limit: TOKEN_BODY_LIMIT });
  const jsonBody: RequestHandler = (req, res, next) => parseJson(req, res, (err?: unknown) => (err ? invalidGrant(res, 'malformed') : next()));

  router.post('/token', noStore, jsonBody, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { app, code, code_verifier: verifier } = body;
    if (typeof code !== 'string' || code.length === 0 || code.length > 256) return invalidGrant(res, 'no code');
    // Taken (burnt) before anything is checked: a wrong guess costs the code.
    const handoff = await codes.take(code);
    if (!handoff) return invalidGrant(res, 'unknown, used or expired');
    // Both compared in constant time; both checked whatever the first says.
    const appOk = secretEquals(typeof app === 'string' ? app : '', handoff.app);
    const wellFormed = typeof verifier === 'string' && VERIFIER.test(verifier);
    const proof = wellFormed ? createHash('sha256').update(verifier).digest('base64url') : '';
    const proofOk = secretEquals(proof, handoff.codeChallenge) && wellFormed;
    const waiting = await sessions.read(handoff.sessionId);
    if (!appOk || !proofOk) {
      await sessions.end(handoff.sessionId);
      return invalidGrant(res, appOk ? 'wrong verifier' : 'another app');
    }
    const auth = waiting?.channel === 'mobile-handoff' ? waiting.auth : undefined;
    if (!auth) return invalidGrant(res, 'signed out before the redemption');

    const { handle, sessionId } = mintHandle();
    const t = now();
    const idleMs = config.session.idleTimeoutS * 1000;
    await writeSession(sessions, sessionId, appSessionRecord(auth, 'mobile', idleMs, t));
    // The app's session is indexed before the waiting one ends: a back-channel logout
    // that ended the waiting one meanwhile makes this end false, and the app gets nothing.
    if (!(await sessions.end(handoff.sessionId))) {
      await sessions.end(sessionId);
      return invalidGrant(res, 'signed out during the redemption');
    }
    log.info({ requestId: res.locals.requestId, app: handoff.app }, 'mobile session issued');
    events.signedIn('app');
    res.json({ sessionToken: handle, expiresAt: new Date(Math.min(t + idleMs, auth.expiresAt)).toISOString() });
  });

  router.post('/logout', noStore, async (req, res) => {
    const auth = req.session?.auth;
    if (!viaSessionHandle(req) || !auth) return sendError(res, 401, 'UNAUTHENTICATED', 'Not signed in.');
    const tokens = deps.crypto.decrypt(auth.tokens, auth.sub);
    await new Promise<void>((resolve, reject) => req.session.destroy((err?: unknown) => (err ? reject(err) : resolve())));
    log.info({ requestId: res.locals.requestId }, 'mobile session ended');
    events.signedOut('app');
    await deps.revokeRefreshToken(tokens);
    res.status(204).end();
  });

  return router;
}

function noStore(_req: Request, res: Response, next: () => void): void {
  res.set('Cache-Control', 'no-store');
  next();
}
