import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CookieJar } from 'tough-cookie';
import { type RecordedResponse, type Stack, startStack } from '../support/stack.js';

/**
 * Cross-site requests against the real app (one instance, the real IdP and services):
 * the Origin / Sec-Fetch-Site guard, CORS, Apollo's CSRF prevention, `X-CSRF: 1` on the
 * `/auth` JSON endpoints, and the rule that an API never answers a missing session with
 * a redirect. "Before any resolver runs" is checked on what the downstream services
 * received: nothing.
 */

const ALLOWED_EXTRA = 'https://admin.shop.example';
const EVIL = 'https://evil.example';

const PLACE_ORDER = /* GraphQL */ `
  mutation Place($key: String!) {
    placeOrder(input: { idempotencyKey: $key, lines: [{ productId: "p-100", quantity: 1 }] }) { id }
  }
`;
const MY_ORDERS = /* GraphQL */ `{ me { orders(first: 1) { id } } }`;

let stack: Stack;
let alice: CookieJar;
let origin: string;

beforeAll(async () => {
  stack = await startStack({ env: { ALLOWED_ORIGINS: ALLOWED_EXTRA } });
  origin = stack.bff.url;
  alice = await stack.login('alice');
});
beforeEach(() => stack.recorder.clear());
afterEach(() => stack.clock.reset());
afterAll(() => stack?.close());

const placeOrder = (headers: Record<string, string>, jar: CookieJar = alice) =>
  stack.fetch('/graphql', {
    method: 'POST',
    jar,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: PLACE_ORDER, variables: { key: randomUUID() } }),
  });

const json = (r: RecordedResponse) => JSON.parse(r.text_) as Record<string, any>;
const forbidden = (r: RecordedResponse) => {
  expect(r.status).toBe(403);
  expect(json(r)).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
};
const nothingReachedDownstream = () => expect(stack.recorder.all).toEqual([]);

describe('the Origin and Sec-Fetch-Site guard', () => {
  it('refuses a request whose Origin is not ours with 403 before any resolver runs', async () => {
    forbidden(await placeOrder({ origin: EVIL }));
    forbidden(await stack.fetch('/auth/user', { jar: alice, headers: { origin: EVIL, 'x-csrf': '1' } }));
    nothingReachedDownstream();
  });

  it('refuses the opaque Origin null (sandboxed frames, cross-origin redirects)', async () => {
    forbidden(await placeOrder({ origin: 'null' }));
    nothingReachedDownstream();
  });

  it('refuses a non-safe request the browser marks Sec-Fetch-Site: cross-site, whatever its Origin', async () => {
    forbidden(await placeOrder({ 'sec-fetch-site': 'cross-site' }));
    // An allowed origin on another site: the SameSite=Lax cookie would not be sent anyway.
    forbidden(await placeOrder({ origin: ALLOWED_EXTRA, 'sec-fetch-site': 'cross-site' }));
    nothingReachedDownstream();
  });

  it('lets a safe cross-site request through (a link to sign in from another site)', async () => {
    const res = await stack.fetch('/auth/login?returnTo=/', { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(res.status).toBe(302);
  });

  it('accepts PUBLIC_URL and ALLOWED_ORIGINS as origins', async () => {
    for (const from of [origin, ALLOWED_EXTRA]) {
      const res = await stack.graphql(MY_ORDERS, { jar: alice, headers: { origin: from, 'sec-fetch-site': 'same-site' } });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
    }
  });
});

describe('CORS', () => {
  const preflight = (from: string) =>
    stack.fetch('/graphql', {
      method: 'OPTIONS',
      headers: { origin: from, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

  it('answers an allowed origin with exactly that origin and credentials, never *', async () => {
    for (const from of [origin, ALLOWED_EXTRA]) {
      const res = await preflight(from);
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('access-control-allow-origin')).toBe(from);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    }
    const actual = await stack.graphql(MY_ORDERS, { jar: alice, headers: { origin: ALLOWED_EXTRA } });
    expect(actual.headers.get('access-control-allow-origin')).toBe(ALLOWED_EXTRA);
    expect(actual.headers.get('vary')).toMatch(/origin/i);
  });

  it('gives a foreign origin no CORS grant at all', async () => {
    const res = await preflight(EVIL);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('never answers any request of this suite with Access-Control-Allow-Origin: *', () => {
    expect(stack.seen.filter((s) => /"access-control-allow-origin","\*"/.test(s))).toEqual([]);
  });
});

describe("Apollo's CSRF prevention on /graphql", () => {
  const post = (contentType: string, body: string) =>
    stack.fetch('/graphql', { method: 'POST', jar: alice, headers: { origin, 'content-type': contentType }, body });

  it.each([
    ['text/plain', 'text/plain', () => JSON.stringify({ query: PLACE_ORDER, variables: { key: randomUUID() } })],
    ['a urlencoded form', 'application/x-www-form-urlencoded', () => new URLSearchParams({ query: PLACE_ORDER }).toString()],
    ['a multipart form', 'multipart/form-data; boundary=x', () => `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${PLACE_ORDER}\r\n--x--\r\n`],
  ])('refuses %s POST, simple requests a cross-site form could send', async (_name, contentType, body) => {
    const res = await post(contentType, body());
    expect(res.status).toBe(400);
    expect(res.text_).toContain('Cross-Site Request Forgery');
    nothingReachedDownstream();
  });

  it('refuses a mutation over GET, even with a preflight header', async () => {
    const url = `/graphql?${new URLSearchParams({ query: PLACE_ORDER, variables: JSON.stringify({ key: randomUUID() }) })}`;
    const res = await stack.fetch(url, { jar: alice, headers: { 'apollo-require-preflight': 'true', accept: 'application/json' } });
    expect(res.status).toBe(405);
    nothingReachedDownstream();
  });

  it('refuses a GET query without a header that forces a preflight', async () => {
    const res = await stack.fetch(`/graphql?${new URLSearchParams({ query: MY_ORDERS })}`, { jar: alice, headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.text_).toContain('Cross-Site Request Forgery');
    nothingReachedDownstream();
  });
});

describe('the JSON endpoints under /auth', () => {
  it('need X-CSRF: 1', async () => {
    for (const headers of [{}, { 'x-csrf': '0' }, { 'x-csrf': 'true' }] as Array<Record<string, string>>) {
      forbidden(await stack.fetch('/auth/user', { jar: alice, headers }));
    }
    expect((await stack.fetch('/auth/user', { jar: alice, headers: { 'x-csrf': '1' } })).status).toBe(200);
  });
});

describe('a missing or expired session', () => {
  const expectNoRedirect = (r: { status: number; headers: Headers }) => {
    expect(r.status < 300 || r.status >= 400).toBe(true);
    expect(r.headers.get('location')).toBeNull();
  };

  const checkEveryApi = async (jar: CookieJar) => {
    const user = await stack.fetch('/auth/user', { jar, headers: { 'x-csrf': '1' } });
    expectNoRedirect(user);
    expect(user.status).toBe(401);
    expect(user.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json(user)).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });

    const mutation = await placeOrder({ origin }, jar);
    expectNoRedirect(mutation);
    expect(json(mutation).errors[0].extensions.code).toBe('UNAUTHENTICATED');

    const get = await stack.fetch(`/graphql?${new URLSearchParams({ query: '{ me { id } }' })}`, {
      jar,
      headers: { 'apollo-require-preflight': 'true', accept: 'application/json' },
    });
    expectNoRedirect(get);
    expect(json(get).data).toEqual({ me: null });
    nothingReachedDownstream();
  };

  it('is answered by every API endpoint with 401 JSON or UNAUTHENTICATED, never a redirect (no cookie)', async () => {
    await checkEveryApi(new CookieJar());
  });

  it('is answered by every API endpoint with 401 JSON or UNAUTHENTICATED, never a redirect (expired session)', async () => {
    const jar = await stack.login('bob');
    stack.clock.advance(stack.bff.config.session.absoluteTimeoutS * 1000 + 1000);
    await checkEveryApi(jar);
  });
});
