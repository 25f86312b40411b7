import type { RequestHandler } from 'express';
import { bearerToken } from '../lib/bearer-token.js';
import { sendError } from '../lib/error-response.js';
import { type SecretSource, secretEquals } from '../secrets/index.js';

export interface MetricsAccessOptions {
  readonly production: boolean;
  /** `METRICS_TOKEN`, read on each request (a rotated file applies at once). Default: none. */
  readonly token?: SecretSource;
}

/**
 * Who may read `/metrics` on the public port (the HTTP contract): with a token, only
 * `Authorization: Bearer <token>` (401 otherwise); without one, everyone outside
 * production and no one in production, where the route does not exist (404, as for any
 * unknown path). The token is compared in constant time and never logged or echoed.
 * The `METRICS_PORT` listener does not go through this: it is for the internal network.
 */
export function publicMetricsAccess(opts: MetricsAccessOptions): RequestHandler {
  const { token } = opts;
  return (req, res, next) => {
    if (!token) {
      if (!opts.production) return next();
      return sendError(res, 404, 'NOT_FOUND', 'No such endpoint.');
    }
    const given = bearerToken(req);
    const expected = token.current().trim();
    if (given !== undefined && expected !== '' && secretEquals(given, expected)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="metrics"');
    sendError(res, 401, 'UNAUTHENTICATED', 'Metrics need a valid bearer token.');
  };
}
