import type { Request, Response } from 'express';

/**
 * The one way an HTTP endpoint answers an expected failure: the contract's REST error
 * body `{"error": {"code", "message"}}` (`field` when one input is to blame). Used by the
 * BFF's own routes and guards and by the demo services, which speak the same contract.
 */
export function sendError(res: Response, status: number, code: string, message: string, field?: string): void {
  res.status(status).json({ error: { code, message, ...(field ? { field } : {}) } });
}

/**
 * `sendError` for middleware that sits in front of `/graphql` as well as the REST
 * routes (rate limits, the last-resort error handler): GraphQL clients read `errors`,
 * so under `/graphql` the same failure goes out as `{"errors": [{message, extensions: {code}}]}`.
 */
export function sendErrorFor(req: Request, res: Response, status: number, code: string, message: string): void {
  if (req.originalUrl.startsWith('/graphql')) res.status(status).json({ errors: [{ message, extensions: { code } }] });
  else sendError(res, status, code, message);
}
