import type { Request, Response } from 'express';
import type { Config } from '../config/index.js';
import { sessionCookieOptions } from './cookie.js';

/** Saves the session now (rather than at the end of the response). */
export const saveSession = (req: Request): Promise<void> =>
  new Promise((resolve, reject) => req.session.save((err?: unknown) => (err ? reject(err) : resolve())));

/**
 * Deletes the current session's store entry and gives the request a fresh session under
 * a new id. express-session saves that new session at the end of the response and sends
 * its cookie; the login callback fills it, which is what it is for.
 */
export const regenerateSession = (req: Request): Promise<void> =>
  new Promise((resolve, reject) => req.session.regenerate((err?: unknown) => (err ? reject(err) : resolve())));

/** Tells the browser to drop the session cookie (same attributes it was set with). */
export function clearSessionCookie(res: Response, config: Config): void {
  if (!res.headersSent) res.clearCookie(config.session.cookieName, sessionCookieOptions(config));
}

/**
 * Ends a session for good: the store entry is deleted, the cookie cleared, and
 * `req.session` is gone for the rest of the request (so nothing is written back).
 * Resolves once the store confirmed the deletion.
 */
export async function endSession(req: Request, res: Response, config: Config): Promise<void> {
  const current = req.session as Request['session'] | undefined;
  if (current) {
    await new Promise<void>((resolve, reject) => current.destroy((err?: unknown) => (err ? reject(err) : resolve())));
  }
  clearSessionCookie(res, config);
}
