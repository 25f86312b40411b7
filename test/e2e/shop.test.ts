import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PRODUCTS_WITHOUT_REVIEWS, SEED_ORDERS } from '../../src/demo/seed/index.js';
import type { SessionData } from 'express-session';
import { type Stack, startStack } from '../support/stack.js';
import { launchChromium } from './support/browser.js';
import { heapSnapshot, readPageStorage, type ReceivedLog, recordTraffic } from './support/observe.js';

/**
 * The shop's web app (web/, as `npm run build:web` built it) in a real Chromium against
 * the whole system on loopback: the BFF under `GRAPHQL_TRUSTED_DOCUMENTS=enforce` (as in
 * production), the dev IdP's real sign-in pages, the demo services recording what they
 * receive. What the browser can see is checked where it lives: document.cookie, Web
 * Storage, IndexedDB, every response it received and a heap snapshot of the page.
 */

// Chromium's start and a few dozen page loads: seconds, with room for a loaded machine.
jest.setTimeout(60_000);

const ALICE_ORDERS = SEED_ORDERS.filter((o) => o.userId === 'alice').map((o) => o.id);
const BOB_ORDERS = SEED_ORDERS.filter((o) => o.userId === 'bob').map((o) => o.id);
const manifest = JSON.parse(readFileSync(new URL('../../client/generated/persisted-query-manifest.json', import.meta.url), 'utf8')) as {
  operations: Array<{ id: string; name: string }>;
};
const id = (name: string) => manifest.operations.find((op) => op.name === name)!.id;

let stack: Stack;
let browser: Browser;
let alice: BrowserContext;
let alicePage: Page;
let traffic: ReceivedLog;
/** The order alice places in the browser. */
let placedOrderId: string;

beforeAll(async () => {
  stack = await startStack({ env: { GRAPHQL_TRUSTED_DOCUMENTS: 'enforce' } });
  const index = join(stack.bff.config.web.distDir, 'index.html');
  if (!existsSync(index)) {
    throw new Error('web/dist is missing: run `npm run build:web` before the e2e suite (`npm test` does it first)');
  }
  browser = await launchChromium();
  alice = await browser.newContext();
  traffic = recordTraffic(alice);
  alicePage = await alice.newPage();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Signs in through the app's button and the dev IdP's real form; ends on the dashboard. */
async function signIn(page: Page, username: string): Promise<void> {
  await page.goto(`${stack.bff.url}/`);
  await page.getByRole('link', { name: 'Sign in to see your orders' }).click();
  await page.waitForURL((url) => url.href.startsWith(stack.issuer));
  await page.locator('#login').fill(username);
  await page.locator('#password').fill(username);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${stack.bff.url}/`);
  await page.getByRole('heading', { name: /^Your orders, / }).waitFor();
}

/** The order ids the dashboard shows, in order. */
async function shownOrderIds(page: Page): Promise<string[]> {
  // A string, not a function: the test's TypeScript has no DOM types.
  return page.evaluate<string[]>(`Array.from(document.querySelectorAll('[data-testid=order]'), (e) => e.getAttribute('data-order-id'))`);
}

/** The tokens of the context's session, read from the BFF's store as the BFF holds them. */
async function sessionSecrets(context: BrowserContext): Promise<string[]> {
  const cookie = (await context.cookies(stack.bff.url)).find((c) => c.name === stack.bff.config.session.cookieName)!;
  const raw = decodeURIComponent(cookie.value);
  const sid = raw.slice(2, raw.lastIndexOf('.'));
  const data = await new Promise<SessionData | null | undefined>((resolve, reject) =>
    stack.bff.app.sessions.get(sid, (err, s) => (err ? reject(err) : resolve(s))),
  );
  const tokens = stack.bff.app.crypto.decrypt(data!.auth!.tokens, data!.auth!.sub)!;
  expect(tokens.accessToken).toBeTruthy();
  expect(tokens.refreshToken).toBeTruthy();
  expect(tokens.idToken).toBeTruthy();
  return [tokens.accessToken, tokens.refreshToken!, tokens.idToken!, sid, cookie.value, raw];
}

describe('alice in the web app', () => {
  it('signs in through the dev IdP and sees exactly her orders, sent as persisted ids', async () => {
    await signIn(alicePage, 'alice');
    await expect(alicePage.getByTestId('user-name').textContent()).resolves.toBe('Alice Martin');
    await alicePage.locator('[data-testid=order]').first().waitFor();
    expect((await shownOrderIds(alicePage)).sort()).toEqual([...ALICE_ORDERS].sort());

    // Every GraphQL request carried an id from the manifest, never a document's text.
    const graphql = traffic.requests.filter((r) => r.url.startsWith(`${stack.bff.url}/graphql`));
    expect(graphql.length).toBeGreaterThan(0);
    const listed = new Set(manifest.operations.map((op) => op.id));
    for (const r of graphql) {
      const body = JSON.parse(r.body ?? '{}') as { query?: string; extensions?: { persistedQuery?: { sha256Hash?: string } } };
      expect(body.query).toBeUndefined();
      expect(listed.has(body.extensions?.persistedQuery?.sha256Hash ?? '')).toBe(true);
    }
    // The orders service got alice's calls with her token, not a cookie.
    const orders = stack.recorder.forService('orders');
    expect(orders.length).toBeGreaterThan(0);
    expect(orders.every((r) => r.headers.authorization?.startsWith('Bearer ') && r.headers.cookie === undefined)).toBe(true);
  });

  it("polls /auth/user?slide=false with X-CSRF: 1 and shows the session's expiry", async () => {
    const polls = traffic.requests.filter((r) => r.url === `${stack.bff.url}/auth/user?slide=false`);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((r) => r.headers['x-csrf'] === '1')).toBe(true);
    await expect(alicePage.getByTestId('session-expiry').textContent()).resolves.toMatch(/^session ends /);
    const shown = await alicePage.getByTestId('session-expiry').getAttribute('title');
    const ends = Date.parse(shown!);
    expect(ends).toBeGreaterThan(Date.now());
    expect(ends).toBeLessThanOrEqual(Date.now() + stack.bff.config.session.idleTimeoutS * 1000);
  });

  it('searches, opens a product with its reviews, places the order and pays it', async () => {
    await alicePage.getByRole('searchbox', { name: 'Search products' }).fill('mug');
    await alicePage.getByRole('button', { name: 'Search' }).click();
    await alicePage.waitForURL(`${stack.bff.url}/search?q=mug`);
    await alicePage.getByTestId('search-result').first().waitFor();
    await alicePage.getByRole('link', { name: 'Stoneware Mug' }).click();
    await alicePage.getByRole('heading', { name: 'Stoneware Mug' }).waitFor();
    const productId = new URL(alicePage.url()).pathname.split('/').pop()!;
    expect(PRODUCTS_WITHOUT_REVIEWS.has(productId)).toBe(false);
    await alicePage.getByTestId('review').first().waitFor();

    stack.recorder.clear();
    await alicePage.getByRole('spinbutton').fill('2');
    await alicePage.getByRole('button', { name: 'Place order' }).click();
    const placed = alicePage.getByTestId('placed-order');
    await placed.waitFor();
    placedOrderId = (await placed.getAttribute('data-order-id'))!;
    const created = stack.recorder.forService('orders').filter((r) => r.method === 'POST' && r.path === '/orders');
    expect(created).toHaveLength(1);
    expect(created[0]!.body).toMatchObject({ lines: [{ productId, quantity: 2 }] });

    await alicePage.getByRole('button', { name: `Pay order ${placedOrderId}` }).click();
    await expect(alicePage.getByTestId('payment').textContent()).resolves.toMatch(/^Payment \S+ for .+: requires_payment_method$/);
    const intents = stack.recorder.forService('payments').filter((r) => r.method === 'POST');
    expect(intents).toHaveLength(1);
    expect(JSON.stringify(intents[0]!.body)).toContain(placedOrderId);

    await alicePage.getByRole('link', { name: 'Shop' }).click();
    await alicePage.locator(`[data-order-id="${placedOrderId}"]`).waitFor();
    expect(await shownOrderIds(alicePage)).toContain(placedOrderId);
  });

  it('holds no session cookie, token, key or secret anywhere the page can reach', async () => {
    const needles = [...(await sessionSecrets(alice)), ...stack.secretValues, ...stack.issuedTokens].filter((n) => n.length >= 8);

    const storage = await readPageStorage(alicePage);
    expect(storage.cookie).not.toContain(stack.bff.config.session.cookieName);
    expect(storage.indexedDbNames).toEqual([]);
    const stored = JSON.stringify(storage);

    await traffic.settle();
    expect(traffic.responses.length).toBeGreaterThan(10);
    // Set-Cookie is where the session id must go (HttpOnly, so no script reads it); every
    // other header and every body must carry none of it.
    const cookieName = stack.bff.config.session.cookieName;
    const sessionCookies = traffic.responses.flatMap((r) => (r.headers['set-cookie'] ?? '').split('\n')).filter((c) => c.startsWith(`${cookieName}=`));
    expect(sessionCookies.length).toBeGreaterThan(0);
    for (const c of sessionCookies) expect(c).toMatch(/;\s*HttpOnly/i);
    const received = traffic.responses.map(({ url, status, headers: { 'set-cookie': _, ...headers }, body }) => `${url} ${status} ${JSON.stringify(headers)} ${body}`);
    // The check can see what the page holds: alice's name and her new order are in the heap.
    const heap = await heapSnapshot(alice, alicePage);
    // (Booleans, not toContain: a failure must not print megabytes of snapshot.)
    expect(heap.length).toBeGreaterThan(100_000);
    expect(heap.includes('Alice Martin')).toBe(true);
    expect(heap.includes(placedOrderId)).toBe(true);

    for (const needle of needles) {
      const where = needle.slice(0, 6);
      expect([where, stored.includes(needle)]).toEqual([where, false]);
      expect([where, received.filter((r) => r.includes(needle)).map((r) => r.slice(0, 120))]).toEqual([where, []]);
      expect([where, heap.includes(needle)]).toEqual([where, false]);
    }
    // Nothing shaped like a JWT (the ID token, a logout token) reached the page either.
    expect(received.filter((r) => /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./.test(r)).map((r) => r.slice(0, 120))).toEqual([]);
  });
});

describe('a page on another site, in alice’s browser', () => {
  let evil: Server;
  let evilUrl: string;

  beforeAll(async () => {
    // The BFF is on 127.0.0.1; localhost is another site to the browser (SameSite, CORS).
    evil = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>evil</title><p>win a prize'));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}`;
    expect(new URL(stack.bff.url).hostname).toBe('127.0.0.1');
  });
  afterAll(() => new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve())));

  it('cannot read her data or run a mutation with fetch and her cookie', async () => {
    const page = await alice.newPage();
    await page.goto(evilUrl);
    stack.recorder.clear();
    const bff = stack.bff.url;
    const outcomes = await page.evaluate(
      `(async ({ bff, dashboard, placeOrder }) => {
        const attempt = (p) => p.then(async (r) => ({ read: r.type === 'opaque' ? 'opaque' : await r.text() }), (e) => ({ refused: String(e) }));
        return {
          readDashboard: await attempt(fetch(bff + '/graphql', {
            method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ documentId: dashboard }),
          })),
          readDashboardByGet: await attempt(fetch(bff + '/graphql?documentId=' + encodeURIComponent(dashboard), { credentials: 'include' })),
          // A "simple" request (no preflight): the browser sends it without the cookie
          // (SameSite=Lax), and the BFF's Cross-Origin-Resource-Policy keeps even the opaque answer away.
          placeOrderNoCors: await attempt(fetch(bff + '/graphql', {
            method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
            body: JSON.stringify({ documentId: placeOrder, variables: { input: { idempotencyKey: 'evil-0000-0001', lines: [{ productId: 'p1', quantity: 1 }] } } }),
          })),
          readUser: await attempt(fetch(bff + '/auth/user', { credentials: 'include', headers: { 'x-csrf': '1' } })),
        };
      })` + `(${JSON.stringify({ bff, dashboard: id('Dashboard'), placeOrder: id('PlaceOrder') })})`,
    );
    const o = outcomes as Record<string, { read?: string; refused?: string }>;
    expect(o.readDashboard).toEqual({ refused: expect.stringContaining('Failed to fetch') });
    expect(o.readDashboardByGet).toEqual({ refused: expect.stringContaining('Failed to fetch') });
    expect(o.readUser).toEqual({ refused: expect.stringContaining('Failed to fetch') });
    expect(o.placeOrderNoCors).toEqual({ refused: expect.stringContaining('Failed to fetch') });
    expect(stack.recorder.forService('orders')).toEqual([]);
    expect(stack.recorder.all).toEqual([]);
    await page.close();
    // Not because she was signed out: her own tab still reads her session.
    await expect(alicePage.evaluate(`fetch('/auth/user', { headers: { 'X-CSRF': '1' } }).then((r) => r.status)`)).resolves.toBe(200);
  });

  it('cannot run a mutation with a cross-site form POST', async () => {
    const page = await alice.newPage();
    await page.goto(evilUrl);
    stack.recorder.clear();
    // The classic text/plain trick: the body becomes {"query":"mutation …","x":"="}.
    const body = `{"query":"mutation { placeOrder(input: { idempotencyKey: \\"evil-0000-0002\\", lines: [{ productId: \\"p1\\", quantity: 1 }] }) { id } }","x":"`;
    const answer = page.waitForResponse((r) => r.url() === `${stack.bff.url}/graphql`);
    await page.evaluate(
      `(() => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = ${JSON.stringify(`${stack.bff.url}/graphql`)};
        form.enctype = 'text/plain';
        const field = document.createElement('input');
        field.name = ${JSON.stringify(body)};
        field.value = '"}';
        form.appendChild(field);
        document.body.appendChild(form);
        form.submit();
      })()`,
    );
    const res = await answer;
    expect(res.status()).toBeGreaterThanOrEqual(400);
    expect(res.status()).toBeLessThan(500);
    await expect(res.text()).resolves.not.toMatch(/"placeOrder"\s*:\s*\{/);
    expect(stack.recorder.forService('orders')).toEqual([]);
    expect(stack.recorder.all).toEqual([]);
    await page.close();
    await expect(alicePage.evaluate(`fetch('/auth/user', { headers: { 'X-CSRF': '1' } }).then((r) => r.status)`)).resolves.toBe(200);
  });
});

describe('signing out, and bob', () => {
  it('signs alice out through logoutUrl and lands on the app, signed out', async () => {
    await alicePage.bringToFront();
    await alicePage.getByRole('link', { name: 'Sign out' }).click();
    // The dev IdP asks to confirm the end of its own session.
    await alicePage.waitForURL((url) => url.href.startsWith(stack.issuer));
    await alicePage.getByRole('button', { name: 'Sign out' }).click();
    await alicePage.waitForURL(`${stack.bff.url}/`);
    await alicePage.getByRole('link', { name: 'Sign in to see your orders' }).waitFor();
    const status = await alicePage.evaluate(`fetch('/auth/user', { headers: { 'X-CSRF': '1' } }).then((r) => r.status)`);
    expect(status).toBe(401);
    expect((await readPageStorage(alicePage)).cookie).not.toContain(stack.bff.config.session.cookieName);
  });

  it("shows bob his orders and never alice's", async () => {
    const bob = await browser.newContext();
    const bobTraffic = recordTraffic(bob);
    const page = await bob.newPage();
    await signIn(page, 'bob');
    await expect(page.getByTestId('user-name').textContent()).resolves.toBe('Bob Schneider');
    await page.locator('[data-testid=order]').first().waitFor();
    const shown = await shownOrderIds(page);
    expect(shown.sort()).toEqual([...BOB_ORDERS].sort());
    for (const aliceOrder of [...ALICE_ORDERS, placedOrderId]) expect(shown).not.toContain(aliceOrder);
    await bobTraffic.settle();
    const received = bobTraffic.responses.map((r) => r.body).join('\n');
    for (const aliceOrder of [...ALICE_ORDERS, placedOrderId]) expect(received).not.toContain(`"${aliceOrder}"`);
    expect(received).not.toContain('Alice Martin');
    await bob.close();
  });
});
