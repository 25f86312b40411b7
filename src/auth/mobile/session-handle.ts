import { createHash, randomBytes } from 'node:crypto';
import type { SessionData } from 'express-session';
import cookieHeader from 'cookie';
import type { Request, RequestHandler, Response } from 'express';
import onHeaders from 'on-headers';
import type { Logger } from '../../observability/logger.js';
import type { Config } from '../../config/index.js';
import { bearerToken } from '../../lib/bearer-token.js';
import { sendErrorFor } from '../../lib/error-response.js';
import type { AuthSession, SessionStore } from '../../session/index.js';
import { preventSliding } from '../../session/index.js';
import { slidingPrevented } from '../../session/sliding.js';

/**
 * The opaque session handle of a native app (contracts/mobile-sign-in.md), and the two
 * middleware that make it a session like a browser's.
 *
 * The store key is not the handle: a session's id is `m.` + BASE64URL(SHA-256(handle)),
 * derived one-way. Whoever reads the store (a dump, a leaked key in a log) holds ids that
 * are no handle (a handle is hashed again on every request), and a handle is 256 random
 * bits, so no lookup table reaches it. Deriving rather than storing a hash beside a random
 * id keeps one read per request, exactly like a cookie's session.
 */

/** Bytes of randomness in a handle: 256 bits, base64url (43 characters). */
const HANDLE_BYTES = 32;

/** The store's session id for `handle`. */
export function sessionIdOfHandle(handle: string): string {
  return `m.${createHash('sha256').update(handle).digest('base64url')}`;
}

/** A fresh handle and the session id it names. */
export function mintHandle(): { handle: string; sessionId: string } {
  const handle = randomBytes(HANDLE_BYTES).toString('base64url');
  return { handle, sessionId: sessionIdOfHandle(handle) };
}

/** A signed-in session record of a native-app channel, idle window `maxAgeMs` from `now`. */
export function appSessionRecord(auth: AuthSession, channel: 'mobile' | 'mobile-handoff', maxAgeMs: number, now: number): SessionData {
  return {
    cookie: { originalMaxAge: maxAgeMs, expires: new Date(now + maxAgeMs), httpOnly: true, path: '/' },
    channel,
    auth,
  };
}

/** Writes a session record (created ones are indexed by sid/sub before they are written). */
export const writeSession = (store: SessionStore, id: string, data: SessionData): Promise<void> =>
  new Promise((resolve, reject) => store.set(id, data, (err?: unknown) => (err ? reject(err) : resolve())));

/** Requests whose session was loaded from a handle (and that carry no session cookie). */
const handleRequests = new WeakSet<Request>();

/** Whether `req` was authenticated by a session handle, not a cookie: the browser CSRF rules do not apply to it. */
export function viaSessionHandle(req: Request): boolean {
  return handleRequests.has(req);
}

const refuse = (req: Request, res: Response) => {
  res.set('Cache-Control', 'no-store');
  sendErrorFor(req, res, 401, 'UNAUTHENTICATED', 'The session handle is unknown, ended or expired.');
};

/**
 * Before the session middleware, on the endpoints apps call: a request with
 * `Authorization: Bearer <handle>` and no session cookie gets the handle's session as
 * `req.session`, so express-session (which leaves a request that has a session alone)
 * sends no cookie, and everything after it (timeouts, token refresh, rate limits, GraphQL)
 * sees an ordinary session. An unknown, ended or non-mobile session is `401`, never an
 * anonymous request. The idle timeout slides as for a cookie (a throttled touch when the
 * response ends), unless `preventSliding` was called.
 */
export function sessionHandleLoader(opts: { config: Config; store: SessionStore; logger: Logger }): RequestHandler {
  const { store } = opts;
  const cookieName = opts.config.session.cookieName;
  return (req, res, next) => {
    const handle = bearerToken(req);
    const header = req.headers.cookie;
    if (handle === undefined || (header !== undefined && cookieHeader.parse(header)[cookieName] !== undefined)) return next();
    const sessionId = sessionIdOfHandle(handle);
    store.get(sessionId, (err, data) => {
      if (err) return next(err);
      if (!data?.auth || data.channel !== 'mobile') return refuse(req, res);
      handleRequests.add(req);
      req.sessionID = sessionId;
      // express-session adds `generate` to its store when the session middleware is built.
      req.sessionStore = store as unknown as Request['sessionStore'];
      store.createSession(req, data);
      slideOnHeaders(req, res, store, opts.logger);
      next();
    });
  };
}

/**
 * Slides the idle timeout as express-session does for a cookie: the store's expiry is
 * pushed forward as the response's headers go out (`on-headers`, no patched `res.end`).
 * The touch is issued before the answer reaches the app, so the app's next request (on
 * this instance's store connection, in order) sees it; a failed touch is only logged,
 * like express-session's.
 */
function slideOnHeaders(req: Request, res: Response, store: SessionStore, logger: Logger): void {
  onHeaders(res, () => {
    const sess = req.session as Request['session'] | undefined;
    if (!sess?.auth || slidingPrevented(req) || !store.touch) return;
    sess.touch();
    store.touch(req.sessionID, sess, (err?: unknown) => {
      if (err) logger.warn({ component: 'session', err: { message: (err as Error).message } }, 'could not slide a native app session');
    });
  });
}

/**
 * After the session middleware, everywhere: a session is used only through the channel
 * it was issued for.
 * - A handle request whose session the middleware ended (past its absolute end, tokens
 *   not intact) is `401`, and the session is ended in the store.
 * - A cookie naming a native app's session (which needs the signing secret and a store
 *   id, so should never happen) gets a fresh, empty session instead: it is no session,
 *   and the app's session is left as it was.
 */
export function sessionChannelGuard(): RequestHandler {
  return (req, res, next) => {
    if (viaSessionHandle(req)) {
      if (req.session?.auth) return next();
      preventSliding(req);
      return req.sessionStore.destroy(req.sessionID, () => refuse(req, res));
    }
    if (req.session?.channel !== undefined) req.sessionStore.generate(req);
    next();
  };
}
