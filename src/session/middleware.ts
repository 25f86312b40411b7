import { randomBytes } from 'node:crypto';
import cookieHeader from 'cookie';
import type { Request, RequestHandler, Response } from 'express';
import session, { type Store } from 'express-session';
import onHeaders from 'on-headers';
import type { Config } from '../config/index.js';
import { type SecretSource, secretList } from '../secrets/index.js';
import { assertCookieRules, sessionCookieOptions } from './cookie.js';
import { clearSessionCookie } from './helpers.js';
import { slidingPrevented } from './sliding.js';
import { SessionUnavailableError } from './unavailable.js';
import { isEmptySession } from './write-rules.js';
import type { AuthSession } from './session-data.js';

export interface SessionMiddlewareOptions {
  readonly config: Config;
  /** From `createSessionStore`. */
  readonly store: Store;
  /** Cookie-signing secrets, comma-separated, newest first (`SESSION_SECRET`). */
  readonly secret: SecretSource;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Whether a signed-in session's stored tokens are intact (they decrypt). A session
   * whose tokens are `tampered` is ended like an expired one, before anything sees it;
   * one sealed with a key this instance does not have (`unknown-key`, a configuration
   * error) is kept, and the request refused with `SESSION_STORE_UNAVAILABLE`, so one
   * misconfigured instance never ends the sessions every other instance can read.
   * Default: not checked here (the user credential still refuses such tokens when it
   * needs them).
   */
  readonly tokensIntact?: (auth: AuthSession) => TokenCheck;
  /** Told of every store failure the middleware turns into `SESSION_STORE_UNAVAILABLE` (to log it). */
  readonly onStoreError?: (err: unknown) => void;
}

/** What `tokensIntact` found. */
export type TokenCheck = 'intact' | 'tampered' | 'unknown-key';

/** Bytes of randomness in a session id: 256 bits, base64url (43 characters). */
const SESSION_ID_BYTES = 32;

/**
 * express-session configured as the contract says: an opaque signed id in an HttpOnly,
 * SameSite=Lax, host-only cookie (Secure and `__Host-` prefixed under https), nothing
 * stored for visitors who never sign in (`saveUninitialized: false`), no write-back of
 * unchanged sessions (`resave: false`).
 *
 * Idle timeout: `rolling` re-sends the cookie with a fresh expiry on every response (a
 * header, no store write), while the store's expiry is pushed forward by the throttled
 * touch of `createSessionStore`: one Redis round trip (GET) per request in the common
 * case. The absolute timeout (`SESSION_ABSOLUTE_TIMEOUT_S` from login) is enforced here
 * and capped in the store's TTL; so is `tokensIntact`.
 *
 * Just before the headers go out (`on-headers`, as express-session itself; see `settleCookie`):
 * - a cookie the browser sent that names no live session (forged, tampered, unknown,
 *   expired, ended) is cleared, so it stops coming back; not when the store could not be
 *   read (`SESSION_STORE_UNAVAILABLE`): the session is then unknown, not gone;
 * - a cookie is never sent for a session that holds nothing;
 * - `preventSliding` requests do not re-send the cookie;
 * - every response that sets or clears the cookie is `Cache-Control: no-store` (with
 *   `rolling`, that is every response to a signed-in browser): no cache may keep a
 *   session cookie or a response personalised by one.
 *
 * The signing secrets are re-read on each request; when they change (a rotated
 * `SESSION_SECRET_FILE`) express-session is rebuilt with the new list, newest signing,
 * all verifying, so rotation needs no restart and signs nobody out.
 *
 * Needs `app.set('trust proxy', …)` behind a TLS-terminating proxy, or Secure cookies
 * are never sent (express-session refuses to set them over what it sees as plain http).
 */
export function createSessionMiddleware(opts: SessionMiddlewareOptions): RequestHandler {
  const { config, store } = opts;
  const now = opts.now ?? Date.now;
  const cookie = sessionCookieOptions(config);
  assertCookieRules(config.session.cookieName, cookie, config.server.secureCookies);
  const name = config.session.cookieName;

  const build = (secrets: string[]): RequestHandler =>
    session({
      name,
      store,
      secret: secrets,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      genid: () => randomBytes(SESSION_ID_BYTES).toString('base64url'),
      cookie: { ...cookie, maxAge: config.session.idleTimeoutS * 1000 },
    });

  let raw = opts.secret.current();
  let handler = build(requireSecrets(opts.secret));

  return (req, res, next) => {
    const latest = opts.secret.current();
    if (latest !== raw) {
      handler = build(requireSecrets(opts.secret));
      raw = latest;
    }
    // Registered before express-session's own header hook, so it runs after it (hooks
    // run last-registered first) and sees the cookie express-session decided to send.
    const sentCookie = hasCookie(req, name);
    onHeaders(res, () => settleCookie(req, res, { name, sentCookie, clear: () => clearSessionCookie(res, config) }));
    handler(req, res, (err?: unknown) => {
      // express-session only fails when the store does: reading the session before the
      // request, or saving / touching it after the response went out.
      if (err) {
        opts.onStoreError?.(err);
        if (res.headersSent) return;
        // No session was read, which is not "no session": the cookie stays (settleCookie).
        res.locals.sessionUnavailable = true;
        return next(new SessionUnavailableError('store', { cause: err }));
      }
      if (endUnusable(req, now(), opts.tokensIntact) === 'unknown-key') return next(new SessionUnavailableError('key'));
      next();
    });
  };
}

function requireSecrets(source: SecretSource): string[] {
  const secrets = secretList(source);
  if (secrets.length === 0) throw new Error(`session secret (${source.description}) is empty`);
  return secrets;
}

/**
 * A signed-in session past its hard end, or whose tokens are no longer intact, is made
 * anonymous before anything sees it. The store's TTL already ends a session on time in
 * Redis; this covers the last seconds before the TTL fires and an injected clock. The
 * emptied session is kept for the rest of the request (e.g. `/auth/login` still has a
 * session to work with); if nothing fills it again, the store ends it at the end of the
 * request and the cookie is cleared. Returns what the token check found: `unknown-key`
 * leaves the session as it is, for the caller to refuse the request.
 */
function endUnusable(req: Request, now: number, tokensIntact?: (auth: AuthSession) => TokenCheck): TokenCheck | undefined {
  const sess = req.session as Request['session'] | undefined;
  if (!sess?.auth) return undefined;
  const expired = now >= sess.auth.expiresAt;
  const check = expired ? undefined : tokensIntact?.(sess.auth);
  if (expired || check === 'tampered') {
    delete sess.auth;
    delete sess.pendingLogins;
  }
  return check;
}

/** Whether the request carries a cookie called `name` (valid or not). */
function hasCookie(req: Request, name: string): boolean {
  const header = req.headers.cookie;
  return header !== undefined && cookieHeader.parse(header)[name] !== undefined;
}

/** The session cookie's final word for this response (see `createSessionMiddleware`). */
function settleCookie(req: Request, res: Response, o: { name: string; sentCookie: boolean; clear: () => void }): void {
  const ours = (c: string) => c.startsWith(`${o.name}=`);
  // Express clears a cookie by setting it empty and expired at the epoch (`new Date(1)`).
  const clears = (c: string) => {
    const expires = cookieHeader.parse(c).Expires;
    return expires !== undefined && Date.parse(expires) <= 0;
  };
  // The store could not be read: the cookie may well name a live session, so it is kept
  // for the client's retry; an outage must never sign anyone out.
  if (res.locals.sessionUnavailable === true) return;
  const sess = req.session as Request['session'] | undefined;
  const empty = !sess || isEmptySession(sess);
  const all = setCookies(res);
  const kept = all.filter((c) => !(ours(c) && !clears(c) && (empty || slidingPrevented(req))));
  if (kept.length !== all.length) res.setHeader('set-cookie', kept);
  if (o.sentCookie && empty && !kept.some(ours)) o.clear();
  if (setCookies(res).some(ours)) res.setHeader('Cache-Control', 'no-store');
}

function setCookies(res: Response): string[] {
  const value = res.getHeader('set-cookie');
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}
