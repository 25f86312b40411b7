import type { CookieOptions } from 'express';
import type { Config } from '../config/index.js';

/**
 * The attributes of the session cookie, shared by setting and clearing it (a browser
 * only drops a cookie when name, path and domain match).
 */
export function sessionCookieOptions(config: Config): CookieOptions & { sameSite: 'lax' } {
  return {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: config.server.secureCookies,
    // No `domain`: a host-only cookie, as the `__Host-` prefix requires.
  };
}
