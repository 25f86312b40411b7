import type { RequestHandler } from 'express';

/**
 * For the JSON endpoints under `/auth`: only requests carrying `X-CSRF: 1` are answered.
 * A cross-site page cannot add a custom header without a CORS preflight, and preflights
 * succeed only for our own origins, so the header proves the caller is one of them
 * (the pattern of Duende BFF's `X-CSRF: 1`). Refused with 403 JSON, before any session
 * data is read.
 */
export const requireCsrfHeader: RequestHandler = (req, res, next) => {
  if (req.get('x-csrf') === '1') return next();
  res.set('Cache-Control', 'no-store');
  res.status(403).json({ error: { code: 'FORBIDDEN', message: 'This request needs the header X-CSRF: 1.' } });
};
