import type { Request, RequestHandler } from 'express';
import session, { type Store } from 'express-session';
import type { Config } from '../config/index.js';
import { type SecretSource, secretList } from '../secrets/index.js';
import { sessionCookieOptions } from './cookie.js';
import './session-data.js';

export interface SessionMiddlewareOptions {
  readonly config: Config;
  /** From `createSessionStore`. */
  readonly store: Store;
  /** Cookie-signing secrets, comma-separated, newest first (`SESSION_SECRET`). */
  readonly secret: SecretSource;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

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
 * and capped in the store's TTL.
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

  const build = (secrets: string[]): RequestHandler =>
    session({
      name: config.session.cookieName,
      store,
      secret: secrets,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { ...sessionCookieOptions(config), maxAge: config.session.idleTimeoutS * 1000 },
    });

  let raw = opts.secret.current();
  let handler = build(requireSecrets(opts.secret));

  return (req, res, next) => {
    const latest = opts.secret.current();
    if (latest !== raw) {
      handler = build(requireSecrets(opts.secret));
      raw = latest;
    }
    handler(req, res, (err?: unknown) => {
      if (err) return next(err);
      enforceAbsoluteTimeout(req, now());
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
 * A signed-in session past its hard end is made anonymous before anything sees it. The
 * store's TTL already ends it on time in Redis; this covers the MemoryStore and the last
 * seconds before the TTL fires. The (now empty) session is kept rather than destroyed so
 * the rest of the request, e.g. `/auth/login`, still has a session to work with.
 */
function enforceAbsoluteTimeout(req: Request, now: number): void {
  const sess = req.session as Request['session'] | undefined;
  if (sess?.auth && now >= sess.auth.expiresAt) {
    delete sess.auth;
    delete sess.pendingLogins;
  }
}
