import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/index.js';
import type { Credential } from '../../src/downstream/credential.js';
import { createDownstreamClients, type DownstreamClients } from '../../src/services/index.js';
import type { DownstreamError } from '../../src/downstream/errors.js';
import type { SecretSource } from '../../src/secrets/index.js';
import { FaultServer, recordingLogger, reply } from '../support/fault-server.js';

/**
 * The four clients against four real servers on loopback, asserting on what each server
 * received: its own credential and nothing else, the contract's paths, ids batched and
 * encoded as one value each, bodies and idempotency keys.
 */

const CATALOG_KEY = 'catalog-key-0123456789';
const PAYMENTS_KEY = 'sk_test_payments_0123456789';
const REVIEWS_TOKEN = 'reviews-cc-token-0123456789';
const USER_TOKEN = 'user-access-token-0123456789';
const ALL_SECRETS = [CATALOG_KEY, PAYMENTS_KEY, REVIEWS_TOKEN, USER_TOKEN];

/** Ids that would break out of their place if they were not encoded. */
const NASTY_IDS = ['a/b', '..', '.', 'x?y=1', 'h#i', 'c,d', 'p&ids=evil', 'käse ☕', '%2F', ' '];

/** A secret a test can rotate; `refresh()` picks up the rotation. */
function rotatingSecret(initial: string) {
  let value = initial;
  let pending: string | undefined;
  return {
    description: 'test secret',
    current: () => value,
    refresh: async () => {
      if (pending === undefined) return false;
      value = pending;
      pending = undefined;
      return true;
    },
    close: () => {},
    rotate(next: string) {
      pending = next;
    },
  } satisfies SecretSource & { rotate(next: string): void };
}

function bearer(token: string, renewTo?: string): Credential & { renewals: number } {
  let current = token;
  const credential = {
    renewals: 0,
    headers: async () => ({ authorization: `Bearer ${current}` }),
    renew: async () => {
      credential.renewals++;
      if (renewTo === undefined || current === renewTo) return false;
      current = renewTo;
      return true;
    },
  };
  return credential;
}

let servers: Record<'catalog' | 'orders' | 'reviews' | 'payments', FaultServer>;
let clients: DownstreamClients;
let catalogKey: ReturnType<typeof rotatingSecret>;
let paymentsKey: ReturnType<typeof rotatingSecret>;
let reviewsToken: ReturnType<typeof bearer>;
let logs: ReturnType<typeof recordingLogger>;
const user = bearer(USER_TOKEN);

beforeAll(async () => {
  const [catalog, orders, reviews, payments] = await Promise.all([
    FaultServer.start(),
    FaultServer.start(),
    FaultServer.start(),
    FaultServer.start(),
  ]);
  servers = { catalog: catalog!, orders: orders!, reviews: reviews!, payments: payments! };
  catalogKey = rotatingSecret(CATALOG_KEY);
  paymentsKey = rotatingSecret(PAYMENTS_KEY);
  reviewsToken = bearer(REVIEWS_TOKEN, `${REVIEWS_TOKEN}-renewed`);
  logs = recordingLogger();
  clients = createDownstreamClients({
    // A timeout only a hang reaches: nothing here is about time.
    config: loadConfig({ DOWNSTREAM_TIMEOUT_MS: '30000' }).downstream,
    urls: {
      catalog: servers.catalog.url,
      // A base path prefix, as behind a gateway.
      orders: `${servers.orders.url}/orders-api`,
      reviews: servers.reviews.url,
      payments: servers.payments.url,
    },
    secrets: { catalog: catalogKey, payments: paymentsKey },
    clientCredentials: () => reviewsToken,
    logger: logs.logger,
    http: { resilience: { initialBackoffMs: 1, maxBackoffMs: 5 } },
  });
});

afterEach(() => {
  for (const s of Object.values(servers)) s.reset();
});

afterAll(async () => {
  await clients.close();
  await Promise.all(Object.values(servers).map((s) => s.close()));
  // Across every test: no credential ever reached a log line.
  for (const secret of ALL_SECRETS) expect(logs.text()).not.toContain(secret);
});

const product = (id: string) => ({ id, name: id, priceCents: 100, currency: 'EUR', stock: 1 });

/** Every request a server got carries exactly its own credential header and no cookie. */
function expectOnly(server: FaultServer, header: string, value: string) {
  expect(server.requests.length).toBeGreaterThan(0);
  for (const req of server.requests) {
    expect(req.headers[header]).toBe(value);
    expect(req.headers.cookie).toBeUndefined();
    const others = Object.entries(req.headers).filter(([name]) => name !== header);
    for (const secret of ALL_SECRETS) expect(JSON.stringify(others)).not.toContain(secret);
  }
}

describe('catalog', () => {
  it('fetches products by ids with the API key, each id one encoded value', async () => {
    servers.catalog.on('GET', '/products', (req, res, n) =>
      reply.json({ items: req.query.get('ids')!.split(',').map(product) })(req, res, n),
    );
    await clients.catalog.getProducts(NASTY_IDS);
    const [req] = servers.catalog.requests;
    // The raw value splits on literal commas into exactly the ids, each decoding to itself.
    const raw = req!.url.slice('/products?ids='.length);
    expect(raw).not.toMatch(/[/?#& ]/);
    expect(raw.split(',').map(decodeURIComponent)).toEqual(NASTY_IDS);
    expect([...req!.query.keys()]).toEqual(['ids']);
    expectOnly(servers.catalog, 'x-api-key', catalogKey.current());
    expect(req!.headers.authorization).toBeUndefined();
  });

  it('splits more than 100 ids into parallel batches and merges the items', async () => {
    servers.catalog.on('GET', '/products', (req, res, n) =>
      reply.json({ items: req.query.get('ids')!.split(',').map(product) })(req, res, n),
    );
    const ids = Array.from({ length: 250 }, (_, i) => `p${i}`);
    const products = await clients.catalog.getProducts(ids);
    expect(servers.catalog.requests.map((r) => r.query.get('ids')!.split(',').length)).toEqual([100, 100, 50]);
    expect(products.map((p) => p.id).sort()).toEqual([...ids].sort());
  });

  it('makes no call for an empty list', async () => {
    await expect(clients.catalog.getProducts([])).resolves.toEqual([]);
    expect(servers.catalog.requests).toHaveLength(0);
  });

  it('searches with the text, limit and cursor encoded', async () => {
    servers.catalog.on('GET', '/products/search', reply.json({ items: [product('p1')], nextCursor: 'c&2' }));
    const page = await clients.catalog.searchProducts({ query: 'cup & saucer #1?', limit: 10, cursor: 'a=b&c' });
    expect(page).toEqual({ items: [product('p1')], nextCursor: 'c&2' });
    const [req] = servers.catalog.requests;
    expect(Object.fromEntries(req!.query)).toEqual({ q: 'cup & saucer #1?', limit: '10', cursor: 'a=b&c' });
    await clients.catalog.searchProducts({ query: 'x', limit: 5, cursor: null });
    expect(servers.catalog.requests[1]!.query.has('cursor')).toBe(false);
  });

  it('re-reads a rotated API key after a 401 and retries once', async () => {
    let valid = CATALOG_KEY;
    servers.catalog.on('GET', '/products', reply.requireHeader('x-api-key', () => valid, reply.json({ items: [] })));
    valid = `${CATALOG_KEY}-new`;
    catalogKey.rotate(valid);
    await expect(clients.catalog.getProducts(['p1'])).resolves.toEqual([]);
    expect(servers.catalog.requests.map((r) => r.headers['x-api-key'])).toEqual([CATALOG_KEY, `${CATALOG_KEY}-new`]);
    // The new key stays: rotating back would look like a rotation the service has not
    // followed, and the credential would (rightly) fall back to the key it last took.
  });

  it('fails as unavailable when the key is refused and nothing new is found', async () => {
    servers.catalog.on('GET', '/products', reply.status(401));
    const err = (await clients.catalog.getProducts(['p1']).catch((e: unknown) => e)) as DownstreamError;
    expect([err.service, err.failure, err.details.status]).toEqual(['catalog', 'unavailable', 401]);
    expect(servers.catalog.requests).toHaveLength(1);
  });

  it('rejects an answer without an items array as unavailable', async () => {
    servers.catalog.on('GET', '/products', reply.json({ products: [] }));
    const err = (await clients.catalog.getProducts(['p1']).catch((e: unknown) => e)) as DownstreamError;
    expect(err.failure).toBe('unavailable');
  });
});

describe('orders', () => {
  const order = (id: string) => ({
    id,
    userId: 'alice',
    status: 'PENDING',
    createdAt: '2026-01-01T00:00:00Z',
    lines: [],
    totalCents: 0,
    currency: 'EUR',
    paymentId: null,
  });

  it("lists the user's orders with the user's token under the base path", async () => {
    servers.orders.on('GET', '/orders-api/me/orders', reply.json({ items: [order('o1')] }));
    await expect(clients.orders.myOrders(user, 20)).resolves.toEqual([order('o1')]);
    expect(servers.orders.requests[0]!.url).toBe('/orders-api/me/orders?limit=20');
    expectOnly(servers.orders, 'authorization', `Bearer ${USER_TOKEN}`);
  });

  it('fetches orders by ids in batches of at most 100', async () => {
    servers.orders.on('GET', '/orders-api/orders', (req, res, n) =>
      reply.json({ items: req.query.get('ids')!.split(',').map(order) })(req, res, n),
    );
    const ids = Array.from({ length: 101 }, (_, i) => `o${i}`);
    expect(await clients.orders.getOrders(user, ids)).toHaveLength(101);
    expect(servers.orders.requests.map((r) => r.query.get('ids')!.split(',').length)).toEqual([100, 1]);
    await clients.orders.getOrders(user, ['o/1', '..']);
    expect(servers.orders.requests[2]!.url).toBe('/orders-api/orders?ids=o%2F1,..');
    expectOnly(servers.orders, 'authorization', `Bearer ${USER_TOKEN}`);
  });

  it('places an order with JSON lines and the Idempotency-Key, retrying safely', async () => {
    servers.orders.on('POST', '/orders-api/orders', reply.sequence(reply.status(503), reply.json(order('o9'), 201)));
    const lines = [{ productId: 'p1', quantity: 2 }];
    await expect(clients.orders.placeOrder(user, { idempotencyKey: 'idem-1', lines })).resolves.toEqual(order('o9'));
    expect(servers.orders.requests).toHaveLength(2);
    for (const req of servers.orders.requests) {
      expect(req.headers['idempotency-key']).toBe('idem-1');
      expect(req.headers['content-type']).toBe('application/json');
      expect(JSON.parse(req.body)).toEqual({ lines });
    }
    expectOnly(servers.orders, 'authorization', `Bearer ${USER_TOKEN}`);
  });

  it("passes a 422's message and field on as bad_input", async () => {
    servers.orders.on('POST', '/orders-api/orders', reply.error(422, 'UNKNOWN_PRODUCT', 'Unknown product p404', { field: 'lines' }));
    const err = (await clients.orders
      .placeOrder(user, { idempotencyKey: 'idem-2', lines: [{ productId: 'p404', quantity: 1 }] })
      .catch((e: unknown) => e)) as DownstreamError;
    expect([err.service, err.failure, err.message, err.details.field]).toEqual(['orders', 'bad_input', 'Unknown product p404', 'lines']);
    expect(servers.orders.requests).toHaveLength(1);
  });

  it("renews the user's token after a 401", async () => {
    const expiring = bearer('old-user-token', 'fresh-user-token');
    servers.orders.on('GET', '/orders-api/me/orders', reply.requireHeader('authorization', () => 'Bearer fresh-user-token', reply.json({ items: [] })));
    await clients.orders.myOrders(expiring, 5);
    expect(servers.orders.requests.map((r) => r.headers.authorization)).toEqual(['Bearer old-user-token', 'Bearer fresh-user-token']);
    expect(expiring.renewals).toBe(1);
  });

  it('refuses to place an order without an idempotency key', async () => {
    await expect(clients.orders.placeOrder(user, { idempotencyKey: '', lines: [] })).rejects.toThrow(TypeError);
    expect(servers.orders.requests).toHaveLength(0);
  });
});

describe('reviews', () => {
  it('fetches reviews by product ids with the client-credentials token', async () => {
    servers.reviews.on('GET', '/reviews', reply.json({ items: [{ productId: 'a/b', averageRating: 4.5, count: 2, reviews: [] }] }));
    const reviews = await clients.reviews.getReviews(['a/b', 'p#2']);
    expect(reviews).toHaveLength(1);
    expect(servers.reviews.requests[0]!.url).toBe('/reviews?productIds=a%2Fb,p%232');
    expectOnly(servers.reviews, 'authorization', `Bearer ${REVIEWS_TOKEN}`);
  });

  it('gets a new token after a 401 and retries once', async () => {
    servers.reviews.on('GET', '/reviews', reply.requireHeader('authorization', () => `Bearer ${REVIEWS_TOKEN}-renewed`, reply.json({ items: [] })));
    await clients.reviews.getReviews(['p1']);
    expect(servers.reviews.requests.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${REVIEWS_TOKEN}`,
      `Bearer ${REVIEWS_TOKEN}-renewed`,
    ]);
    expect(reviewsToken.renewals).toBe(1);
  });
});

describe('payments', () => {
  const intent = (id: string) => ({
    id,
    object: 'payment_intent',
    amount: 2598,
    currency: 'eur',
    status: 'requires_payment_method',
    client_secret: `${id}_secret_x`,
    metadata: { orderId: 'o1' },
  });

  it('gets one intent by id, the id one encoded path segment', async () => {
    servers.payments.on('GET', '/v1/payment_intents/*', reply.json(intent('pi_1')));
    await expect(clients.payments.getPaymentIntent('pi_1')).resolves.toEqual(intent('pi_1'));
    for (const id of ['../../admin', '..', 'a/b?c#d', 'ü']) await clients.payments.getPaymentIntent(id);
    expect(servers.payments.requests.map((r) => r.url)).toEqual([
      '/v1/payment_intents/pi_1',
      '/v1/payment_intents/..%2F..%2Fadmin',
      '/v1/payment_intents/%2E%2E',
      '/v1/payment_intents/a%2Fb%3Fc%23d',
      '/v1/payment_intents/%C3%BC',
    ]);
    expectOnly(servers.payments, 'authorization', `Bearer ${PAYMENTS_KEY}`);
  });

  it('answers null for an unknown intent (404) and for an empty id, without calling', async () => {
    servers.payments.on('GET', '/v1/payment_intents/*', reply.error(404, 'resource_missing', 'No such payment_intent'));
    await expect(clients.payments.getPaymentIntent('pi_missing')).resolves.toBeNull();
    await expect(clients.payments.getPaymentIntent('')).resolves.toBeNull();
    expect(servers.payments.requests).toHaveLength(1);
  });

  it('creates an intent with a Stripe-style form body and the Idempotency-Key', async () => {
    servers.payments.on('POST', '/v1/payment_intents', reply.json(intent('pi_2')));
    await expect(
      clients.payments.createPaymentIntent({ amount: 2598, currency: 'EUR', orderId: 'o1' }, 'pay-o1'),
    ).resolves.toEqual(intent('pi_2'));
    const [req] = servers.payments.requests;
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req!.headers['idempotency-key']).toBe('pay-o1');
    expect(Object.fromEntries(new URLSearchParams(req!.body))).toEqual({
      amount: '2598',
      currency: 'eur',
      'metadata[orderId]': 'o1',
    });
    expectOnly(servers.payments, 'authorization', `Bearer ${PAYMENTS_KEY}`);
  });

  it('picks up a rotated secret key after a 401', async () => {
    servers.payments.on('GET', '/v1/payment_intents/*', reply.requireHeader('authorization', () => 'Bearer sk_rotated', reply.json(intent('pi_3'))));
    paymentsKey.rotate('sk_rotated');
    await expect(clients.payments.getPaymentIntent('pi_3')).resolves.toEqual(intent('pi_3'));
    expect(servers.payments.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${PAYMENTS_KEY}`, 'Bearer sk_rotated']);
    // Later calls use the new key straight away.
    await clients.payments.getPaymentIntent('pi_3');
    expect(servers.payments.requests[2]!.headers.authorization).toBe('Bearer sk_rotated');
    paymentsKey.rotate(PAYMENTS_KEY);
    await paymentsKey.refresh();
  });
});

describe('createDownstreamClients', () => {
  it('gives each service its own credential and nothing else', async () => {
    servers.catalog.on('GET', '/products', reply.json({ items: [] }));
    servers.orders.on('GET', '/orders-api/me/orders', reply.json({ items: [] }));
    servers.reviews.on('GET', '/reviews', reply.json({ items: [] }));
    servers.payments.on('GET', '/v1/payment_intents/*', reply.error(404, 'resource_missing', 'no'));
    await Promise.all([
      clients.catalog.getProducts(['p1']),
      clients.orders.myOrders(user, 1),
      clients.reviews.getReviews(['p1']),
      clients.payments.getPaymentIntent('pi_1'),
    ]);
    expectOnly(servers.catalog, 'x-api-key', catalogKey.current());
    expect(servers.catalog.requests[0]!.headers.authorization).toBeUndefined();
    expectOnly(servers.orders, 'authorization', `Bearer ${USER_TOKEN}`);
    expectOnly(servers.reviews, 'authorization', `Bearer ${REVIEWS_TOKEN}-renewed`);
    expectOnly(servers.payments, 'authorization', `Bearer ${PAYMENTS_KEY}`);
    for (const s of [servers.orders, servers.reviews, servers.payments]) {
      expect(s.requests[0]!.headers['x-api-key']).toBeUndefined();
    }
  });
});
