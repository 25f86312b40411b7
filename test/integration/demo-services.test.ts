import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ServiceName } from '../../src/config/index.js';
import { createDevIdp, type DevIdp } from '../../src/demo/dev-idp.js';
import {
  PRODUCTS_WITHOUT_REVIEWS,
  SEED_ORDERS,
  SEED_PAYMENT_INTENTS,
  SEED_PRODUCTS,
  SEED_REVIEWS,
  startDemoServices,
} from '../../src/demo/index.js';
import type { OrderDTO, PaymentIntentDTO, ProductDTO, ProductReviewsDTO } from '../../src/services/index.js';
import { Recorder } from '../../test/support/recorder.js';
import { authorizationCodeFlow, discover, type TestClient, tokenRequest } from '../../test/support/oidc-tokens.js';

const client: TestClient = { clientId: 'shop-bff-test', clientSecret: 'bff-test-secret', redirectUri: 'http://127.0.0.1:1/auth/callback' };
let catalogKey = 'catalog-key-1';
const PAYMENTS_KEY = 'sk_test_payments_key';

let idpServer: Server;
let idp: DevIdp;
let issuer: string;
/** Paths the IdP served, to see when the services call it. */
const idpHits: string[] = [];
const recorder = new Recorder();
let services: Awaited<ReturnType<typeof startDemoServices>>;
let aliceToken: string;
let bobToken: string;
let serviceToken: string;

interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T = any>(service: ServiceName, path: string, init: RequestInit = {}): Promise<Answer<T>> {
  const res = await fetch(`${services.urls[service]}${path}`, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: the test sees the text.
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (token: string, key?: string) => ({
  ...bearer(token),
  'content-type': 'application/json',
  ...(key ? { 'idempotency-key': key } : {}),
});

beforeAll(async () => {
  idpServer = createServer((req, res) => {
    idpHits.push(req.url ?? '');
    idp.handler(req, res);
  });
  await new Promise<void>((resolve) => idpServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}`;
  idp = createDevIdp({
    issuer,
    clients: [{ clientId: client.clientId, clientSecret: client.clientSecret, redirectUris: [client.redirectUri], postLogoutRedirectUris: [] }],
  });
  services = await startDemoServices({
    issuer,
    introspectionClient: idp.resourceServer,
    secrets: { catalog: () => catalogKey, payments: () => PAYMENTS_KEY },
    onRequest: recorder.record,
  });
  const [alice, bob] = await Promise.all([
    authorizationCodeFlow({ issuer, client, username: 'alice', password: 'alice' }),
    authorizationCodeFlow({ issuer, client, username: 'bob', password: 'bob' }),
  ]);
  aliceToken = alice.tokens.access_token;
  bobToken = bob.tokens.access_token;
  const cc = await tokenRequest(await discover(issuer), client, { grant_type: 'client_credentials', scope: 'reviews:read' });
  serviceToken = cc.body.access_token;
});

afterAll(async () => {
  await services?.close();
  await new Promise<void>((resolve) => {
    idpServer?.close(() => resolve());
    idpServer?.closeAllConnections();
  });
});

beforeEach(() => recorder.clear());

describe('credentials', () => {
  const expectUnauthenticated = (a: Answer) => {
    expect(a.status).toBe(401);
    expect(a.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
  };

  it('catalog needs its x-api-key, and follows a rotated key at once', async () => {
    expectUnauthenticated(await call('catalog', '/products?ids=p1'));
    expectUnauthenticated(await call('catalog', '/products?ids=p1', { headers: { 'x-api-key': 'wrong' } }));
    expect((await call('catalog', '/products?ids=p1', { headers: { 'x-api-key': catalogKey } })).status).toBe(200);

    const old = catalogKey;
    catalogKey = 'catalog-key-2';
    try {
      expectUnauthenticated(await call('catalog', '/products?ids=p1', { headers: { 'x-api-key': old } }));
      expect((await call('catalog', '/products?ids=p1', { headers: { 'x-api-key': catalogKey } })).status).toBe(200);
    } finally {
      catalogKey = old;
    }
  });

  it('orders needs a user access token valid at the IdP', async () => {
    expectUnauthenticated(await call('orders', '/me/orders'));
    expectUnauthenticated(await call('orders', '/me/orders', { headers: bearer('not-a-token') }));
    expectUnauthenticated(await call('orders', '/me/orders', { headers: { authorization: `Basic ${aliceToken}` } }));
    // A client-credentials token names no user.
    expectUnauthenticated(await call('orders', '/me/orders', { headers: bearer(serviceToken) }));
    expect((await call('orders', '/me/orders', { headers: bearer(aliceToken) })).status).toBe(200);
  });

  it('reviews needs a client-credentials token with reviews:read', async () => {
    expectUnauthenticated(await call('reviews', '/reviews?productIds=p1'));
    expectUnauthenticated(await call('reviews', '/reviews?productIds=p1', { headers: bearer('not-a-token') }));
    // A user's token lacks the scope.
    expectUnauthenticated(await call('reviews', '/reviews?productIds=p1', { headers: bearer(aliceToken) }));
    expect((await call('reviews', '/reviews?productIds=p1', { headers: bearer(serviceToken) })).status).toBe(200);
  });

  it('payments needs the secret key as a bearer token', async () => {
    expectUnauthenticated(await call('payments', `/v1/payment_intents/${SEED_PAYMENT_INTENTS[0]!.id}`));
    expectUnauthenticated(await call('payments', `/v1/payment_intents/${SEED_PAYMENT_INTENTS[0]!.id}`, { headers: bearer('sk_test_wrong') }));
    expect((await call('payments', `/v1/payment_intents/${SEED_PAYMENT_INTENTS[0]!.id}`, { headers: bearer(PAYMENTS_KEY) })).status).toBe(200);
  });

  it('records every request before checking its credential', async () => {
    await call('payments', '/v1/payment_intents/pi_x', { headers: bearer('sk_test_wrong') });
    await call('catalog', '/products?ids=p1,p2');
    const [payment] = recorder.forService('payments');
    expect(payment).toEqual(
      expect.objectContaining({ method: 'GET', path: '/v1/payment_intents/pi_x', url: '/v1/payment_intents/pi_x' }),
    );
    expect(payment!.headers.authorization).toBe('Bearer sk_test_wrong');
    expect(recorder.forService('catalog')[0]).toEqual(
      expect.objectContaining({ url: '/products?ids=p1,p2', query: { ids: 'p1,p2' }, body: undefined }),
    );
    expect(recorder.all).toHaveLength(2);
  });

  it('asks the IdP once per token within the cache period, even for concurrent requests', async () => {
    const { tokens } = await authorizationCodeFlow({ issuer, client, username: 'bob', password: 'bob' });
    const userinfoCalls = () => idpHits.filter((p) => p === '/me').length;
    const before = userinfoCalls();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => call('orders', '/me/orders?limit=1', { headers: bearer(tokens.access_token) })),
    );
    for (const a of answers) expect(a.status).toBe(200);
    await call('orders', '/me/orders?limit=1', { headers: bearer(tokens.access_token) });
    expect(userinfoCalls() - before).toBe(1);

    const cc = await tokenRequest(await discover(issuer), client, { grant_type: 'client_credentials', scope: 'reviews:read' });
    const introspections = () => idpHits.filter((p) => p === '/token/introspection').length;
    const beforeIntrospection = introspections();
    await call('reviews', '/reviews?productIds=p1', { headers: bearer(cc.body.access_token) });
    await call('reviews', '/reviews?productIds=p2', { headers: bearer(cc.body.access_token) });
    expect(introspections() - beforeIntrospection).toBe(1);
  });
});

describe('catalog', () => {
  const headers = () => ({ 'x-api-key': catalogKey });

  it('has a realistic seed: 50+ EUR products with images, some out of stock', () => {
    expect(SEED_PRODUCTS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(SEED_PRODUCTS.map((p) => p.id)).size).toBe(SEED_PRODUCTS.length);
    expect(SEED_PRODUCTS.some((p) => p.stock === 0)).toBe(true);
    for (const p of SEED_PRODUCTS) {
      expect(p).toEqual({
        id: expect.stringMatching(/^p\d+$/),
        name: expect.any(String),
        description: expect.any(String),
        priceCents: expect.any(Number),
        currency: 'EUR',
        imageUrl: `https://picsum.photos/seed/${p.id}/400`,
        stock: expect.any(Number),
      });
      expect(Number.isInteger(p.priceCents) && p.priceCents > 0).toBe(true);
    }
  });

  it('answers a batch with the known ids only, and caps batches at 100 ids', async () => {
    const a = await call<{ items: ProductDTO[] }>('catalog', '/products?ids=p3,nope,p1,p3', { headers: headers() });
    expect(a.status).toBe(200);
    expect(a.body.items.map((p) => p.id).sort()).toEqual(['p1', 'p3']);
    expect(a.body.items.find((p) => p.id === 'p1')).toEqual(SEED_PRODUCTS[0]);

    const hundred = Array.from({ length: 100 }, (_, i) => `p${i + 1}`).join(',');
    const ok = await call<{ items: ProductDTO[] }>('catalog', `/products?ids=${hundred}`, { headers: headers() });
    expect(ok.status).toBe(200);
    expect(ok.body.items).toHaveLength(SEED_PRODUCTS.length);

    const tooMany = await call('catalog', `/products?ids=${hundred},p101`, { headers: headers() });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toEqual(expect.objectContaining({ code: 'TOO_MANY_IDS', message: expect.any(String) }));

    expect((await call('catalog', '/products', { headers: headers() })).status).toBe(400);
  });

  it('is cacheable: Cache-Control, a strong ETag and 304 on If-None-Match', async () => {
    const first = await call('catalog', '/products?ids=p1,p2', { headers: headers() });
    expect(first.headers.get('cache-control')).toBe('public, max-age=30');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);

    const again = await fetch(`${services.urls.catalog}/products?ids=p1,p2`, { headers: { ...headers(), 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');

    const other = await call('catalog', '/products?ids=p1,p3', { headers: { ...headers(), 'if-none-match': etag! } });
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(etag);

    // The credential is checked first: a cached ETag does not open the door.
    expect((await call('catalog', '/products?ids=p1,p2', { headers: { 'if-none-match': etag! } })).status).toBe(401);
  });

  it('pages through a search with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = `limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: Answer<{ items: ProductDTO[]; nextCursor: string | null }> = await call('catalog', `/products/search?q=&${qs}`, { headers: headers() });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.body.items.map((p) => p.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual(SEED_PRODUCTS.map((p) => p.id));

    const cups = await call<{ items: ProductDTO[]; nextCursor: string | null }>('catalog', '/products/search?q=CUP', { headers: headers() });
    expect(cups.body.items.length).toBeGreaterThan(0);
    for (const p of cups.body.items) expect(`${p.name} ${p.description}`.toLowerCase()).toContain('cup');
    expect(cups.body.nextCursor).toBeNull();
  });

  it('refuses bad search input with 400', async () => {
    for (const qs of ['limit=0', 'limit=51', 'limit=abc', 'cursor=garbage', `q=${'x'.repeat(201)}`]) {
      const a = await call('catalog', `/products/search?${qs}`, { headers: headers() });
      expect(a.status).toBe(400);
      expect(a.body.error.code).toEqual(expect.any(String));
    }
    const first = await call('catalog', '/products/search?q=tea&limit=1', { headers: headers() });
    const foreign = await call('catalog', `/products/search?q=cup&cursor=${first.body.nextCursor}`, { headers: headers() });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('INVALID_CURSOR');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const a = await call('catalog', '/nope', { headers: headers() });
    expect(a.status).toBe(404);
    expect(a.body.error.code).toBe('NOT_FOUND');
  });
});

describe('orders', () => {
  it('has several orders per demo user in various statuses, paid ones with a known payment', () => {
    for (const sub of ['alice', 'bob']) {
      const mine = SEED_ORDERS.filter((o) => o.userId === sub);
      expect(mine.length).toBeGreaterThanOrEqual(4);
      expect(new Set(mine.map((o) => o.status)).size).toBeGreaterThanOrEqual(3);
    }
    const paymentIds = new Set(SEED_PAYMENT_INTENTS.map((p) => p.id));
    for (const o of SEED_ORDERS.filter((o) => o.status === 'PAID' || o.status === 'SHIPPED')) {
      expect(paymentIds.has(o.paymentId!)).toBe(true);
      const intent = SEED_PAYMENT_INTENTS.find((p) => p.id === o.paymentId)!;
      expect(intent).toEqual(expect.objectContaining({ amount: o.totalCents, status: 'succeeded', metadata: { orderId: o.id } }));
    }
  });

  it("lists only the caller's orders, newest first", async () => {
    const a = await call<{ items: OrderDTO[] }>('orders', '/me/orders?limit=100', { headers: bearer(aliceToken) });
    expect(a.status).toBe(200);
    const seeded = SEED_ORDERS.filter((o) => o.userId === 'alice');
    expect(a.body.items.length).toBeGreaterThanOrEqual(seeded.length);
    expect(a.body.items.every((o) => o.userId === 'alice')).toBe(true);
    const dates = a.body.items.map((o) => o.createdAt);
    expect(dates).toEqual([...dates].sort().reverse());

    const two = await call<{ items: OrderDTO[] }>('orders', '/me/orders?limit=2', { headers: bearer(aliceToken) });
    expect(two.body.items).toEqual(a.body.items.slice(0, 2));
    for (const limit of ['0', '101', 'x']) {
      expect((await call('orders', `/me/orders?limit=${limit}`, { headers: bearer(aliceToken) })).status).toBe(400);
    }
  });

  it("never shows bob's orders to alice, even by id", async () => {
    const bobs = SEED_ORDERS.filter((o) => o.userId === 'bob').map((o) => o.id);
    const alices = SEED_ORDERS.filter((o) => o.userId === 'alice').map((o) => o.id);
    const a = await call<{ items: OrderDTO[] }>('orders', `/orders?ids=${[...bobs, ...alices, 'o0'].join(',')}`, {
      headers: bearer(aliceToken),
    });
    expect(a.status).toBe(200);
    expect(a.body.items.map((o) => o.id).sort()).toEqual([...alices].sort());

    const tooMany = await call('orders', `/orders?ids=${Array.from({ length: 101 }, (_, i) => `o${i}`).join(',')}`, {
      headers: bearer(aliceToken),
    });
    expect(tooMany.status).toBe(400);
  });

  it('places an order once per Idempotency-Key, priced from the catalog', async () => {
    const body = JSON.stringify({ lines: [{ productId: 'p2', quantity: 2 }, { productId: 'p11', quantity: 1 }] });
    const first = await call<OrderDTO>('orders', '/orders', { method: 'POST', headers: json(aliceToken, 'key-1'), body });
    expect(first.status).toBe(201);
    const p2 = SEED_PRODUCTS.find((p) => p.id === 'p2')!;
    const p11 = SEED_PRODUCTS.find((p) => p.id === 'p11')!;
    expect(first.body).toEqual({
      id: expect.any(String),
      userId: 'alice',
      status: 'PENDING',
      createdAt: expect.any(String),
      lines: [
        { productId: 'p2', quantity: 2, unitPriceCents: p2.priceCents },
        { productId: 'p11', quantity: 1, unitPriceCents: p11.priceCents },
      ],
      totalCents: 2 * p2.priceCents + p11.priceCents,
      currency: 'EUR',
      paymentId: null,
    });

    const replay = await call<OrderDTO>('orders', '/orders', { method: 'POST', headers: json(aliceToken, 'key-1'), body });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    const conflict = await call('orders', '/orders', {
      method: 'POST',
      headers: json(aliceToken, 'key-1'),
      body: JSON.stringify({ lines: [{ productId: 'p2', quantity: 3 }] }),
    });
    expect(conflict.status).toBe(422);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

    // Keys belong to the user who sent them.
    const bobs = await call<OrderDTO>('orders', '/orders', { method: 'POST', headers: json(bobToken, 'key-1'), body });
    expect(bobs.status).toBe(201);
    expect(bobs.body.id).not.toBe(first.body.id);
    expect(bobs.body.userId).toBe('bob');

    const latest = await call<{ items: OrderDTO[] }>('orders', '/me/orders?limit=1', { headers: bearer(aliceToken) });
    expect(latest.body.items[0]!.id).toBe(first.body.id);
    const mine = await call<{ items: OrderDTO[] }>('orders', `/orders?ids=${first.body.id},${bobs.body.id}`, { headers: bearer(aliceToken) });
    expect(mine.body.items.map((o) => o.id)).toEqual([first.body.id]);
  });

  it('refuses unknown products and bad quantities with 422 naming the field', async () => {
    const post = (lines: unknown, key = `k-${Math.random()}`) =>
      call('orders', '/orders', { method: 'POST', headers: json(aliceToken, key), body: JSON.stringify({ lines }) });

    const unknown = await post([{ productId: 'p1', quantity: 1 }, { productId: 'p999', quantity: 1 }]);
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toEqual({ code: 'UNKNOWN_PRODUCT', message: expect.any(String), field: 'lines[1].productId' });

    for (const quantity of [0, -1, 1.5, 100, '2', null]) {
      const bad = await post([{ productId: 'p1', quantity }]);
      expect(bad.status).toBe(422);
      expect(bad.body.error).toEqual(expect.objectContaining({ code: 'INVALID_QUANTITY', field: 'lines[0].quantity' }));
    }
    for (const lines of [[], 'p1', null, [null], Array.from({ length: 51 }, () => ({ productId: 'p1', quantity: 1 }))]) {
      const bad = await post(lines);
      expect(bad.status).toBe(422);
      expect(bad.body.error.field).toMatch(/^lines/);
    }
  });

  it('refuses a missing Idempotency-Key and malformed bodies without crashing', async () => {
    const noKey = await call('orders', '/orders', {
      method: 'POST',
      headers: json(aliceToken),
      body: JSON.stringify({ lines: [{ productId: 'p1', quantity: 1 }] }),
    });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');

    const malformed = await call('orders', '/orders', { method: 'POST', headers: json(aliceToken, 'k-bad'), body: '{"lines": [' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('BAD_REQUEST');

    const notAnObject = await call('orders', '/orders', { method: 'POST', headers: json(aliceToken, 'k-arr'), body: '[1,2]' });
    expect(notAnObject.status).toBe(422);

    const huge = await call('orders', '/orders', { method: 'POST', headers: json(aliceToken, 'k-huge'), body: `{"x":"${'a'.repeat(70_000)}"}` });
    expect(huge.status).toBe(413);

    // Still serving.
    expect((await call('orders', '/me/orders?limit=1', { headers: bearer(aliceToken) })).status).toBe(200);
  });
});

describe('reviews', () => {
  it('has reviews for most products but not all', () => {
    expect(SEED_REVIEWS.length).toBeGreaterThan(SEED_PRODUCTS.length / 2);
    expect(PRODUCTS_WITHOUT_REVIEWS.size).toBeGreaterThan(0);
    for (const r of SEED_REVIEWS) {
      expect(r.count).toBe(r.reviews.length);
      const avg = r.reviews.reduce((s, x) => s + x.rating, 0) / r.reviews.length;
      expect(Math.abs(r.averageRating - avg)).toBeLessThan(0.051);
      const dates = r.reviews.map((x) => x.createdAt);
      expect(dates).toEqual([...dates].sort().reverse());
    }
  });

  it('answers a batch by product; products without reviews are absent', async () => {
    const without = [...PRODUCTS_WITHOUT_REVIEWS][0]!;
    const a = await call<{ items: ProductReviewsDTO[] }>('reviews', `/reviews?productIds=p1,p2,${without},p999`, {
      headers: bearer(serviceToken),
    });
    expect(a.status).toBe(200);
    expect(a.body.items.map((r) => r.productId).sort()).toEqual(['p1', 'p2']);
    expect(a.body.items.find((r) => r.productId === 'p1')).toEqual(SEED_REVIEWS.find((r) => r.productId === 'p1'));

    const tooMany = await call('reviews', `/reviews?productIds=${Array.from({ length: 101 }, (_, i) => `p${i}`).join(',')}`, {
      headers: bearer(serviceToken),
    });
    expect(tooMany.status).toBe(400);
    expect((await call('reviews', '/reviews', { headers: bearer(serviceToken) })).status).toBe(400);
  });
});

describe('payments', () => {
  const auth = { authorization: `Bearer ${PAYMENTS_KEY}` };

  it('creates an intent from a form body once per Idempotency-Key', async () => {
    const form = { ...auth, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'pay-1' };
    const body = 'amount=2598&currency=EUR&metadata[orderId]=o1';
    const first = await call<PaymentIntentDTO>('payments', '/v1/payment_intents', { method: 'POST', headers: form, body });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      id: expect.stringMatching(/^pi_[A-Za-z0-9]{24}$/),
      object: 'payment_intent',
      amount: 2598,
      currency: 'eur',
      status: 'requires_payment_method',
      client_secret: expect.stringMatching(/^pi_[A-Za-z0-9]{24}_secret_[A-Za-z0-9]+$/),
      metadata: { orderId: 'o1' },
    });
    expect(first.body.client_secret.startsWith(`${first.body.id}_secret_`)).toBe(true);

    const replay = await call<PaymentIntentDTO>('payments', '/v1/payment_intents', { method: 'POST', headers: form, body });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);

    // The same parameters as JSON are the same request.
    const asJson = await call<PaymentIntentDTO>('payments', '/v1/payment_intents', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'pay-1' },
      body: JSON.stringify({ amount: 2598, currency: 'eur', metadata: { orderId: 'o1' } }),
    });
    expect(asJson.body.id).toBe(first.body.id);

    const conflict = await call('payments', '/v1/payment_intents', { method: 'POST', headers: form, body: 'amount=1&currency=eur' });
    expect(conflict.status).toBe(422);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

    const fetched = await call<PaymentIntentDTO>('payments', `/v1/payment_intents/${first.body.id}`, { headers: auth });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(first.body);
  });

  it('serves the seeded intents and 404s unknown ones', async () => {
    for (const intent of SEED_PAYMENT_INTENTS) {
      const a = await call('payments', `/v1/payment_intents/${intent.id}`, { headers: auth });
      expect(a.body).toEqual(intent);
    }
    const missing = await call('payments', '/v1/payment_intents/pi_doesnotexist', { headers: auth });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    const malformed = await call('payments', '/v1/payment_intents/%E0%A4%A', { headers: auth });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('BAD_REQUEST');
  });

  it('refuses bad input with 400/422', async () => {
    const post = (body: string, type = 'application/x-www-form-urlencoded', key: string | null = `k-${Math.random()}`) =>
      call('payments', '/v1/payment_intents', {
        method: 'POST',
        headers: { ...auth, 'content-type': type, ...(key ? { 'idempotency-key': key } : {}) },
        body,
      });
    const noKey = await post('amount=100&currency=eur', undefined, null);
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    for (const body of ['amount=0&currency=eur', 'amount=1.5&currency=eur', 'amount=abc&currency=eur', 'amount=100', 'amount=100&currency=euro']) {
      const a = await post(body);
      expect(a.status).toBe(422);
      expect(a.body.error).toEqual(expect.objectContaining({ code: 'INVALID_PARAMETER', field: expect.any(String) }));
    }
    expect((await post('{"amount":', 'application/json')).status).toBe(400);
    expect((await post('amount=100', 'text/plain')).status).toBe(400);
    expect((await post(JSON.stringify({ amount: 100, currency: 'eur', metadata: { a: 1 } }), 'application/json')).status).toBe(422);
    expect((await post('amount=100&currency=eur&__proto__[polluted]=1')).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('isolation and outages', () => {
  it('answers 503, not 401, when the IdP cannot be reached', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadIssuer = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((resolve) => dead.close(resolve));
    const other = await startDemoServices({
      issuer: deadIssuer,
      introspectionClient: idp.resourceServer,
      secrets: { catalog: () => catalogKey, payments: () => PAYMENTS_KEY },
    });
    try {
      for (const [service, path] of [['orders', '/me/orders'], ['reviews', '/reviews?productIds=p1']] as const) {
        const res = await fetch(`${other.urls[service]}${path}`, { headers: bearer('some-token') });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
      }
    } finally {
      await other.close();
    }
  });

  it('starts every instance from the seed', async () => {
    const other = await startDemoServices({
      issuer,
      introspectionClient: idp.resourceServer,
      secrets: { catalog: () => catalogKey, payments: () => PAYMENTS_KEY },
    });
    try {
      const a = await fetch(`${other.urls.orders}/me/orders?limit=100`, { headers: bearer(aliceToken) });
      const body = (await a.json()) as { items: OrderDTO[] };
      expect(body.items.map((o) => o.id).sort()).toEqual(SEED_ORDERS.filter((o) => o.userId === 'alice').map((o) => o.id).sort());
      expect(new Set(Object.values(other.urls)).size).toBe(4);
    } finally {
      await other.close();
    }
  });
});
