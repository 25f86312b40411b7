import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { DEMO } from '../../src/config/index.js';
import { SEED_ORDERS, SEED_PRODUCTS_BY_ID, SEED_REVIEWS } from '../../src/demo/seed/index.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The whole path of a request, end to end: a real login through the IdP's forms, then
 * GraphQL as alice, with every downstream call asserted from what the demo services
 * recorded.
 */

const DASHBOARD = /* GraphQL */ `
  query Dashboard($first: Int) {
    me {
      id
      name
      email
      orders(first: $first) {
        id
        status
        createdAt
        total { amount currency formatted }
        lines {
          quantity
          unitPrice { amount currency }
          product { id name rating { average count } reviews { rating title } }
        }
      }
    }
  }
`;

const aliceOrders = SEED_ORDERS.filter((o) => o.userId === 'alice').sort((a, b) => b.createdAt.localeCompare(a.createdAt));
const bobOrders = SEED_ORDERS.filter((o) => o.userId === 'bob');

let stack: Stack;
let alice: CookieJar;

beforeAll(async () => {
  // The shared response cache is off here so every query's downstream calls are
  // counted from a cold start; its own suite shows what it saves.
  stack = await startStack({ redis: true, env: { DOWNSTREAM_CACHE_MAX_ENTRIES: '0' } });
  alice = await stack.login('alice');
});
afterAll(() => stack?.close());
beforeEach(() => stack.recorder.clear());

describe('the dashboard query as alice', () => {
  it('returns her orders from the seed, newest first, with products and ratings', async () => {
    const { body, status } = await stack.graphql(DASHBOARD, { jar: alice, variables: { first: 20 } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const me = body.data!.me;
    expect(me).toMatchObject({ id: 'alice', name: expect.any(String), email: expect.stringContaining('@') });
    expect(me.orders.map((o: { id: string }) => o.id)).toEqual(aliceOrders.map((o) => o.id));

    const first = me.orders[0];
    const seed = aliceOrders[0]!;
    expect(first.total).toEqual({
      amount: seed.totalCents,
      currency: 'EUR',
      formatted: `€${(seed.totalCents / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`,
    });
    for (const [i, line] of first.lines.entries()) {
      const seedLine = seed.lines[i]!;
      const product = SEED_PRODUCTS_BY_ID.get(seedLine.productId)!;
      expect(line.product.name).toBe(product.name);
      expect(line.unitPrice.amount).toBe(seedLine.unitPriceCents);
      const reviews = SEED_REVIEWS.find((r) => r.productId === product.id);
      if (reviews && reviews.count > 0) {
        expect(line.product.rating).toEqual({ average: reviews.averageRating, count: reviews.count });
        expect(line.product.reviews).toHaveLength(Math.min(3, reviews.reviews.length));
      } else {
        expect(line.product.rating).toBeNull();
        expect(line.product.reviews).toEqual([]);
      }
    }
  });

  it.each([1, 3, 7, 20])('makes exactly three downstream calls for orders(first: %i)', async (first) => {
    const { body } = await stack.graphql(DASHBOARD, { jar: alice, variables: { first } });
    expect(body.errors).toBeUndefined();
    const shown = aliceOrders.slice(0, first);
    const productIds = [...new Set(shown.flatMap((o) => o.lines.map((l) => l.productId)))].sort();

    const calls = stack.recorder.all;
    expect(calls.map((c) => c.service).sort()).toEqual(['catalog', 'orders', 'reviews']);
    const [orders] = stack.recorder.forService('orders');
    expect(orders!.path).toBe('/me/orders');
    expect(orders!.query.limit).toBe(String(first));
    const [catalog] = stack.recorder.forService('catalog');
    expect(catalog!.path).toBe('/products');
    expect(catalog!.query.ids!.split(',').sort()).toEqual(productIds);
    const [reviews] = stack.recorder.forService('reviews');
    expect(reviews!.path).toBe('/reviews');
    expect(reviews!.query.productIds!.split(',').sort()).toEqual(productIds);
  });

  it('sends each service its own credential and nothing else', async () => {
    await stack.graphql(`{ me { orders(first: 20) { lines { product { name rating { average } } } } payment: orders(first: 20) { payment { status } } } }`, {
      jar: alice,
    });
    const one = (service: 'catalog' | 'orders' | 'reviews' | 'payments') => {
      const calls = stack.recorder.forService(service);
      expect(calls.length).toBeGreaterThan(0);
      return calls;
    };
    const bearer = (h: string | string[] | undefined) => String(h).replace(/^Bearer /, '');

    for (const c of one('catalog')) {
      expect(c.headers['x-api-key']).toBe(DEMO.catalogApiKey);
      expect(c.headers.authorization).toBeUndefined();
    }
    const userTokens = new Set(one('orders').map((c) => bearer(c.headers.authorization)));
    const clientTokens = new Set(one('reviews').map((c) => bearer(c.headers.authorization)));
    for (const c of one('payments')) expect(c.headers.authorization).toBe(`Bearer ${DEMO.paymentsSecretKey}`);
    expect(userTokens.size).toBe(1);
    expect(clientTokens.size).toBe(1);
    const [userToken] = userTokens;
    const [clientToken] = clientTokens;
    expect(userToken).not.toBe(clientToken);

    for (const c of stack.recorder.all) {
      expect(c.headers.cookie).toBeUndefined();
      if (c.service !== 'catalog') expect(c.headers['x-api-key']).toBeUndefined();
      const auth = c.headers.authorization;
      if (c.service === 'catalog') expect(auth).toBeUndefined();
      if (c.service === 'orders') expect(bearer(auth)).toBe(userToken);
      if (c.service === 'reviews') expect(bearer(auth)).toBe(clientToken);
    }
  });

  it('loads the payments of several orders with one call per distinct intent, in parallel', async () => {
    const { body } = await stack.graphql(`{ me { orders(first: 20) { id payment { id status amount { amount currency } clientSecret } } } }`, {
      jar: alice,
    });
    expect(body.errors).toBeUndefined();
    const withPayment = aliceOrders.filter((o) => o.paymentId);
    const calls = stack.recorder.forService('payments');
    expect(calls.map((c) => c.path).sort()).toEqual(withPayment.map((o) => `/v1/payment_intents/${o.paymentId}`).sort());
    for (const order of body.data!.me.orders) {
      const seed = aliceOrders.find((o) => o.id === order.id)!;
      if (seed.paymentId) {
        expect(order.payment).toMatchObject({ id: seed.paymentId, amount: { amount: seed.totalCents, currency: 'EUR' } });
        expect(order.payment.clientSecret).toMatch(/^pi_.+_secret_/);
      } else {
        expect(order.payment).toBeNull();
      }
    }
  });
});

describe('what alice may see', () => {
  it('never shows bob\'s orders, not even by id', async () => {
    const { body } = await stack.graphql(`query($id: ID!) { me { order(id: $id) { id } orders(first: 100) { id } } }`, {
      jar: alice,
      variables: { id: bobOrders[0]!.id },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!.me.order).toBeNull();
    const ids = body.data!.me.orders.map((o: { id: string }) => o.id);
    for (const bob of bobOrders) expect(ids).not.toContain(bob.id);
  });

  it('shows bob only his own orders', async () => {
    const bob = await stack.login('bob');
    const { body } = await stack.graphql(`{ me { id orders(first: 100) { id } } }`, { jar: bob });
    expect(body.data!.me.id).toBe('bob');
    expect(body.data!.me.orders.map((o: { id: string }) => o.id).sort()).toEqual(bobOrders.map((o) => o.id).sort());
  });
});

describe('catalog queries', () => {
  it('answers products(ids) in the requested order, null for unknown ids, in one call', async () => {
    const { body } = await stack.graphql(`{ products(ids: ["p2", "nope", "p1", "p2"]) { id name inStock price { formatted } } }`);
    expect(body.errors).toBeUndefined();
    expect(body.data!.products.map((p: { id: string } | null) => p?.id ?? null)).toEqual(['p2', null, 'p1', 'p2']);
    const calls = stack.recorder.forService('catalog');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.query.ids!.split(',').sort()).toEqual(['nope', 'p1', 'p2']);
  });

  it('answers an empty id list with an empty list and no downstream call', async () => {
    const { body } = await stack.graphql(`{ products(ids: []) { id } }`);
    expect(body).toEqual({ data: { products: [] } });
    expect(stack.recorder.all).toHaveLength(0);
  });

  it('refuses more than 100 ids with BAD_USER_INPUT and calls nothing', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `p${i}`);
    const { body } = await stack.graphql(`query($ids: [ID!]!) { products(ids: $ids) { id } }`, { variables: { ids } });
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids' });
    expect(stack.recorder.all).toHaveLength(0);
  });

  it('answers product(id) with null for an unknown id, without an error', async () => {
    const { body } = await stack.graphql(`{ product(id: "does-not-exist") { id } }`);
    expect(body).toEqual({ data: { product: null } });
  });

  it('pages through search results with the catalog cursor', async () => {
    const page1 = await stack.graphql(`{ searchProducts(query: "a", first: 5) { nodes { id } pageInfo { hasNextPage endCursor } } }`);
    expect(page1.body.errors).toBeUndefined();
    const conn = page1.body.data!.searchProducts;
    expect(conn.nodes).toHaveLength(5);
    expect(conn.pageInfo.hasNextPage).toBe(true);
    const page2 = await stack.graphql(`query($after: String) { searchProducts(query: "a", first: 5, after: $after) { nodes { id } } }`, {
      variables: { after: conn.pageInfo.endCursor },
    });
    const ids2 = page2.body.data!.searchProducts.nodes.map((n: { id: string }) => n.id);
    expect(ids2).toHaveLength(5);
    for (const id of ids2) expect(conn.nodes.map((n: { id: string }) => n.id)).not.toContain(id);
  });

  it('answers a cursor the catalog does not know with BAD_USER_INPUT naming the after argument', async () => {
    const { body } = await stack.graphql(`{ searchProducts(query: "a", after: "not-a-cursor") { nodes { id } } }`);
    expect(body.data).toEqual({ searchProducts: null });
    expect(body.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('explains bad search arguments', async () => {
    const { body } = await stack.graphql(`{ a: searchProducts(query: "  ") { nodes { id } } b: searchProducts(query: "x", first: 500) { nodes { id } } }`);
    const fields = body.errors!.map((e) => [e.path![0], e.extensions!.code, e.extensions!.field]);
    expect(fields).toEqual(
      expect.arrayContaining([
        ['a', 'BAD_USER_INPUT', 'query'],
        ['b', 'BAD_USER_INPUT', 'first'],
      ]),
    );
    expect(stack.recorder.all).toHaveLength(0);
  });
});

describe('mutations', () => {
  const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status total { amount } lines { quantity product { id } } } }`;

  it('places one order for the same idempotency key sent twice', async () => {
    const input = { idempotencyKey: 'test-key-0001-place-twice', lines: [{ productId: 'p1', quantity: 2 }] };
    const a = await stack.graphql(PLACE, { jar: alice, variables: { input } });
    const b = await stack.graphql(PLACE, { jar: alice, variables: { input } });
    expect(a.body.errors).toBeUndefined();
    expect(a.body.data!.placeOrder).toMatchObject({ status: 'PENDING', total: { amount: 2 * SEED_PRODUCTS_BY_ID.get('p1')!.priceCents } });
    expect(b.body.data!.placeOrder.id).toBe(a.body.data!.placeOrder.id);
    const posts = stack.recorder.forService('orders').filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(2);
    for (const p of posts) expect(p.headers['idempotency-key']).toBe(input.idempotencyKey);
  });

  it('reports an unknown product as BAD_USER_INPUT from the orders service', async () => {
    const input = { idempotencyKey: 'test-key-0002-unknown', lines: [{ productId: 'no-such-product', quantity: 1 }] };
    const { body } = await stack.graphql(PLACE, { jar: alice, variables: { input } });
    expect(body.data).toBeNull();
    // The field names the client's own argument, not the orders service's body path.
    expect(body.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.lines[0].productId' });
  });

  it('checks quantities and keys before calling the orders service', async () => {
    const bad = [
      [{ idempotencyKey: 'short', lines: [{ productId: 'p1', quantity: 1 }] }, 'input.idempotencyKey'],
      [{ idempotencyKey: 'test-key-0003', lines: [] }, 'input.lines'],
      [{ idempotencyKey: 'test-key-0004', lines: [{ productId: 'p1', quantity: 0 }] }, 'input.lines[0].quantity'],
    ] as const;
    for (const [input, field] of bad) {
      const { body } = await stack.graphql(PLACE, { jar: alice, variables: { input } });
      expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(stack.recorder.forService('orders')).toHaveLength(0);
  });

  it('pays an order once: the second payOrder returns the same intent', async () => {
    const pending = aliceOrders.find((o) => o.status === 'PENDING' && !o.paymentId)!;
    const PAY = `mutation($id: ID!) { payOrder(orderId: $id) { id status clientSecret amount { amount currency } } }`;
    const a = await stack.graphql(PAY, { jar: alice, variables: { id: pending.id } });
    const b = await stack.graphql(PAY, { jar: alice, variables: { id: pending.id } });
    expect(a.body.errors).toBeUndefined();
    expect(a.body.data!.payOrder).toMatchObject({ amount: { amount: pending.totalCents, currency: 'EUR' } });
    expect(b.body.data!.payOrder.id).toBe(a.body.data!.payOrder.id);
    const creates = stack.recorder.forService('payments').filter((c) => c.method === 'POST');
    expect(creates).toHaveLength(2);
    expect(new Set(creates.map((c) => c.headers['idempotency-key'])).size).toBe(1);
  });

  it('answers payOrder for someone else\'s order with NOT_FOUND', async () => {
    const { body } = await stack.graphql(`mutation { payOrder(orderId: "${bobOrders[0]!.id}") { id } }`, { jar: alice });
    expect(body.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(stack.recorder.forService('payments')).toHaveLength(0);
  });

  it('refuses a mutation without a session with UNAUTHENTICATED and calls nothing', async () => {
    const { body, status } = await stack.graphql(PLACE, {
      variables: { input: { idempotencyKey: 'test-key-0005-anon', lines: [{ productId: 'p1', quantity: 1 }] } },
    });
    expect(status).toBe(200);
    expect(body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(stack.recorder.all).toHaveLength(0);
  });
});

describe('requests that are not right', () => {
  it('answers malformed GraphQL with 400 GRAPHQL_PARSE_FAILED', async () => {
    const { status, body } = await stack.graphql('{ me { id ');
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('answers an unknown field with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const { status, body } = await stack.graphql('{ me { password } }');
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers a body that is not JSON with a coded 400', async () => {
    const res = await stack.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.bff.url },
      body: '{"query": ',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text_).errors[0].extensions.code).toBeDefined();
  });

  it('treats a forged session cookie as no session', async () => {
    const { body } = await stack.graphql('{ me { id } }', {
      headers: { cookie: `${stack.bff.config.session.cookieName}=s%3Aforged-session-id.bm90LWEtc2lnbmF0dXJl` },
    });
    expect(body).toEqual({ data: { me: null } });
  });

  it('answers me with null for an anonymous request', async () => {
    const { body } = await stack.graphql('{ me { id orders { id } } }');
    expect(body).toEqual({ data: { me: null } });
  });
});

describe('health', () => {
  it('is live and ready', async () => {
    expect((await stack.fetch('/healthz')).status).toBe(200);
    const ready = await stack.fetch('/readyz');
    expect(ready.status).toBe(200);
  });

  it('serves Prometheus metrics', async () => {
    const res = await stack.fetch('/metrics');
    expect(res.status).toBe(200);
    expect(res.text_).toContain('http_request_duration_seconds');
  });
});

describe('secrets', () => {
  it('never sends a token, key or secret to a client or to the log', async () => {
    await stack.graphql(DASHBOARD, { jar: alice });
    // The check itself runs for every suite when its stack closes; here it also runs
    // mid-suite, with proof that it had something to look for.
    expect(stack.issuedTokens.size).toBeGreaterThanOrEqual(3); // access, refresh, client credentials
    expect(stack.recorder.forService('orders')[0]!.headers.authorization).toMatch(/^Bearer .{8,}/);
    expect(stack.leaks()).toEqual([]);
  });

  it('would notice a leak', () => {
    const [token] = stack.issuedTokens;
    stack.logLines.push(`{"msg":"oops ${token}"}`);
    expect(stack.leaks()).toHaveLength(1);
    stack.logLines.pop();
  });
});
