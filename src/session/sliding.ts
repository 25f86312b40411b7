import type { Request } from 'express';

/** Requests, and their session objects, whose response must not slide the idle timeout. */
const frozen = new WeakSet<object>();

/**
 * Makes this request's response leave the session's idle expiry where it is: no store
 * touch and no re-sent cookie. For polling (`/auth/user?slide=false`, as Duende BFF's
 * `/bff/user?slide=false`), so a page that only watches the session does not keep it
 * alive forever. Call before the response is sent; only for requests that do not change
 * the session.
 */
export function preventSliding(req: Request): void {
  frozen.add(req);
  if (req.session) frozen.add(req.session);
}

/** Whether `preventSliding` was called for this request or session object. */
export function slidingPrevented(requestOrSession: object): boolean {
  return frozen.has(requestOrSession);
}
