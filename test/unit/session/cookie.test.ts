import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/index.js';
import { assertCookieRules, sessionCookieOptions } from '../../../src/session/cookie.js';

describe('assertCookieRules', () => {
  it('accepts the cookie the config builds, under http and under https', () => {
    for (const publicUrl of ['http://localhost:4000', 'https://shop.example']) {
      const config = loadConfig({ PUBLIC_URL: publicUrl });
      expect(() => assertCookieRules(config.session.cookieName, sessionCookieOptions(config), config.server.secureCookies)).not.toThrow();
    }
  });

  it.each([
    ['not HttpOnly', 'sid', { httpOnly: false }, false, /HttpOnly/],
    ['SameSite=None', 'sid', { sameSite: 'none' as const }, false, /SameSite/],
    ['a Path other than /', 'sid', { path: '/app' }, false, /Path/],
    ['a Domain', 'sid', { domain: 'shop.example' }, false, /Domain/],
    ['no __Host- prefix under https', 'sid', { secure: true }, true, /__Host-/],
    ['not Secure under https', '__Host-sid', { secure: false }, true, /Secure/],
    ['a __Host- name under http', '__Host-sid', {}, false, /https/],
  ])('refuses a cookie with %s', (_what, name, over, https, message) => {
    const base = { httpOnly: true, sameSite: 'lax' as const, path: '/', secure: https };
    expect(() => assertCookieRules(name, { ...base, ...over }, https)).toThrow(message);
  });
});
