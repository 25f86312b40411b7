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

/**
 * Refuses, at start-up, a session cookie that breaks the contract's rules: always
 * HttpOnly, SameSite Lax or Strict, `Path=/`, host-only; under https also Secure with
 * the `__Host-` prefix (which browsers only accept with exactly those attributes).
 * The config already refuses names that would break them; this guards the composition.
 */
export function assertCookieRules(name: string, options: CookieOptions, https: boolean): void {
  const problems: string[] = [];
  if (options.httpOnly !== true) problems.push('it must be HttpOnly');
  if (options.sameSite !== 'lax' && options.sameSite !== 'strict') problems.push('it must be SameSite=Lax or Strict');
  if (options.path !== '/') problems.push('its Path must be /');
  if (options.domain !== undefined) problems.push('it must not have a Domain');
  if (https && (options.secure !== true || !name.startsWith('__Host-'))) {
    problems.push('under an https PUBLIC_URL it must be Secure and named __Host-…');
  }
  if (!https && /^__(Host|Secure)-/i.test(name)) problems.push('a __Host-/__Secure- name needs an https PUBLIC_URL');
  if (problems.length > 0) throw new Error(`session cookie ${name}: ${problems.join('; ')}`);
}
