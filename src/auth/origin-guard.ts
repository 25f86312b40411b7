import type { RequestHandler } from 'express';
import { sendError } from '../lib/error-response.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses cross-site requests before they reach a session-using handler: an `Origin`
 * that is not ours (or the opaque `null` of sandboxed frames and some redirects), or
 * a state-changing request the browser itself labels `Sec-Fetch-Site: cross-site`.
 * Requests without these headers (server-to-server, old clients) pass: the cookie's
 * SameSite=Lax and Apollo's CSRF prevention still cover them.
 */
export function originGuard(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    const origin = req.get('origin');
    const crossSite = req.get('sec-fetch-site') === 'cross-site' && !SAFE_METHODS.has(req.method);
    if ((origin !== undefined && !allowed.has(origin)) || crossSite) {
      return sendError(res, 403, 'FORBIDDEN', 'Cross-site requests are not allowed.');
    }
    next();
  };
}
