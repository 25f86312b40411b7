import type { Request } from 'express';

/**
 * The route template a request was answered by, for the `route` label and the access
 * line: Express's mount path plus the matched route's path (`/auth` + `/callback`), so
 * `/auth/callback` and `/auth/user` stay apart; `/graphql` for the GraphQL mount. Read
 * when the response has finished, while Express still holds the handler's `baseUrl`.
 * Never the raw URL: ids and query values would make every request its own series, and
 * `/auth/callback?code=…` carries an authorization code. Unmatched paths are `other`.
 */
export function routeOf(req: Request): string {
  const path = req.route?.path as unknown;
  if (typeof path === 'string') return req.baseUrl + path;
  // Not matched: the 404 of unknown paths, or a refusal before routing (Origin, CORS).
  return req.baseUrl || 'other';
}
