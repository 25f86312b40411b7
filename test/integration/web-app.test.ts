import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { loginThroughIdp, logoutThroughIdp } from '../support/oidc-login.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The BFF serving the web app at `/` (src/web/), against a build written by the test
 * (the real one is the e2e suite's): the shell for browser navigations and nothing else,
 * never cached, under a CSP without inline script; hashed assets cached immutably; a
 * clear page, not a crash, while there is no build.
 */

const SHELL_MARKER = 'data-test-shell';
const SHELL = `<!doctype html><html><head><script type="module" src="/assets/app-3f2a9c.js"></script></head><body ${SHELL_MARKER}><div id="root"></div></body></html>`;
const ASSET = 'console.log("shop");';

/** What a browser sends when it loads a page. */
const NAVIGATE = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'sec-fetch-mode': 'navigate' };

let stack: Stack;
let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'web-dist-'));
  stack = await startStack({ env: { WEB_DIST_DIR: dist } });
});
afterAll(async () => {
  await stack?.close();
  if (dist) await rm(dist, { recursive: true, force: true });
});

interface Loaded {
  status: number;
  headers: Headers;
  text_: string;
}

/**
 * A request with exactly these headers. Not fetch(): undici's fetch always sends
 * `Sec-Fetch-Mode: cors`, which no page load carries.
 */
async function page(path: string, headers: Record<string, string> = NAVIGATE, method = 'GET', cookie?: string): Promise<Loaded> {
  const res = await request(`${stack.bff.url}${path}`, {
    method: method as 'GET',
    headers: { ...headers, ...(cookie ? { cookie } : {}) },
  });
  const text_ = await res.body.text();
  const h = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : [value ?? '']) h.append(name, v);
  }
  stack.seen.push(text_, JSON.stringify([...h]));
  return { status: res.statusCode, headers: h, text_ };
}

describe('before the app is built', () => {
  it('starts, says so in one log line, and answers a page naming the command instead of crashing', async () => {
    expect(stack.logLines.filter((l) => l.includes('the web app is not built'))).toHaveLength(1);
    const res = await page('/');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text_).toContain('npm run build:web');
    expect((await page('/healthz', {})).status).toBe(200);
  });
});

describe('with a build', () => {
  beforeAll(async () => {
    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), SHELL);
    await writeFile(join(dist, 'assets', 'app-3f2a9c.js'), ASSET);
  });

  it('answers a navigation to / with the shell, never cached, under a CSP that allows no inline script', async () => {
    const res = await page('/');
    expect(res.status).toBe(200);
    expect(res.text_).toBe(SHELL);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('content-security-policy')?.split(',')).toHaveLength(1);
  });

  it("answers the app's own paths with the shell, also to a browser that sends no Sec-Fetch-Mode", async () => {
    for (const path of ['/products/p1', '/search?q=lamp', '/no/such/screen']) {
      expect((await page(path)).text_).toBe(SHELL);
    }
    expect((await page('/products/p1', { accept: NAVIGATE.accept })).text_).toBe(SHELL);
    const head = await page('/', NAVIGATE, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text_).toBe('');
  });

  it('serves hashed assets with a year-long immutable cache', async () => {
    const res = await page('/assets/app-3f2a9c.js', { accept: '*/*', 'sec-fetch-mode': 'no-cors' });
    expect(res.status).toBe(200);
    expect(res.text_).toBe(ASSET);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('answers a missing asset, even to a navigation, with the JSON 404 and not the shell', async () => {
    for (const path of ['/assets/app-000000.js', '/assets/']) {
      const res = await page(path);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.text_)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    }
  });

  it('never serves a file from outside the build', async () => {
    const res = await page('/assets/%2e%2e/%2e%2e/package.json', { accept: '*/*' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.text_).not.toContain('"name"');
  });

  it("leaves the BFF's own endpoints to the BFF, for browser navigations too", async () => {
    const notShell = async (path: string) => {
      const res = await page(path);
      expect(res.text_).not.toContain(SHELL_MARKER);
      return res;
    };
    expect((await notShell('/healthz')).status).toBe(200);
    expect((await notShell('/metrics')).status).toBe(200);
    expect((await notShell('/auth/no-such-endpoint')).status).toBe(404);
    expect((await notShell('/auth/user')).status).toBe(403); // no X-CSRF: 1
    expect((await notShell('/graphql')).headers.get('content-type')).toMatch(/^text\/html/); // Apollo Sandbox
    expect((await notShell('/auth')).status).toBe(404);
    expect([200, 503]).toContain((await notShell('/readyz')).status);
    // A prefix is a path segment: /authors is the app's, not the BFF's.
    expect((await page('/authors')).text_).toBe(SHELL);
  });

  it('answers requests that are not page loads with the JSON 404', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['/nothing', { accept: 'application/json' }, 'GET'],
      ['/nothing', { accept: '*/*' }, 'GET'],
      // fetch() from a page asking for HTML is still not a navigation.
      ['/nothing', { accept: 'text/html', 'sec-fetch-mode': 'cors' }, 'GET'],
      ['/', NAVIGATE, 'POST'],
      ['/', NAVIGATE, 'DELETE'],
    ];
    for (const [path, headers, method] of cases) {
      const res = await page(path, headers, method);
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(JSON.parse(res.text_)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    }
  });

  it('shows the app where sign-in without returnTo and sign-out land: /', async () => {
    const stopAtHome = (url: URL) => url.href === `${stack.bff.url}/`;
    const login = await loginThroughIdp({ startUrl: `${stack.bff.url}/auth/login`, username: 'alice', password: 'alice', stopAt: stopAtHome });
    stack.seen.push(...login.responses.map((r) => r.body));
    expect(login.finalUrl).toBe(`${stack.bff.url}/`);
    const cookie = await login.jar.getCookieString(stack.bff.url);
    const home = await page('/', NAVIGATE, 'GET', cookie);
    expect([home.status, home.text_]).toEqual([200, SHELL]);

    const user = await stack.fetch('/auth/user', { jar: login.jar, headers: { 'x-csrf': '1' } });
    const { logoutUrl } = JSON.parse(user.text_) as { logoutUrl: string };
    const logout = await logoutThroughIdp({ startUrl: `${stack.bff.url}${logoutUrl}`, jar: login.jar, stopAt: stopAtHome });
    stack.seen.push(...logout.responses.map((r) => r.body));
    expect(logout.finalUrl).toBe(`${stack.bff.url}/`);
    const after = await page('/', NAVIGATE, 'GET', await login.jar.getCookieString(stack.bff.url));
    expect([after.status, after.text_]).toEqual([200, SHELL]);
  });

  it('answers the not-built page again when the build disappears, and the shell once it is back', async () => {
    await rm(join(dist, 'index.html'));
    expect((await page('/')).status).toBe(503);
    await writeFile(join(dist, 'index.html'), SHELL);
    expect((await page('/')).text_).toBe(SHELL);
  });
});
