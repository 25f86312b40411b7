import type { RequestHandler } from 'express';
import { sendError } from '../lib/error-response.js';
import { viaSessionHandle } from './mobile/session-handle.js';

/**
 * For the JSON endpoints under `/auth`: only requests carrying `X-CSRF: 1` are answered.
 * A cross-site page cannot add a custom header without a CORS preflight, and preflights
 * succeed only for our own origins, so the header proves the caller is one of them
 * (the pattern of Duende BFF's `X-CSRF: 1`). Refused with 403 JSON, before any session
 * data is read. A native app's request authenticated by its session handle carries no
 * cookie, so there is nothing a cross-site page could ride on: it needs no header.
 */
export const requireCsrfHeader: RequestHandler = (req, res, next) => {
  if (req.get('x-csrf') === '1' || viaSessionHandle(req)) return next();
  res.set('Cache-Control', 'no-store');
  sendError(res, 403, 'FORBIDDEN', 'This request needs the header X-CSRF: 1.');
};
