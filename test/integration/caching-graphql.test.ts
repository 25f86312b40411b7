import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { type Reply, reply } from '../support/fault-server.js';
import { type FaultStack, startFaultStack } from '../support/fault-stack.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The shared response cache seen from GraphQL: answers that are the same for every user
 * (catalog, reviews) are reused across requests as their `Cache-Control` allows and
 * revalidated with `ETag`; the orders service's answers (per user) never are, whatever
 * it says. Counted from what the services received.
 */

const PRODUCT = `{ product(id: "p1") { id name price { amount } } }`;

describe('with the demo catalog (Cache-Control: public, max-age=30, and an ETag)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  beforeEach(() => stack.recorder.clear());
  afterAll(() => stack?.close());

  it('answers a second identical query from the cache, across requests and users', async () => {
    const alice = await stack.login('alice');
    const first = await stack.graphql(PRODUCT);
    const second = await stack.graphql(PRODUCT, { jar: alice });
    expect(second.body).toEqual(first.body);
    expect(first.body.errors).toBeUndefined();
    expect(stack.recorder.forService('catalog')).toHaveLength(1);
    // Another product is another answer.
    await stack.graphql(`{ product(id: "p2") { id } }`);
    expect(stack.recorder.forService('catalog')).toHaveLength(2);
  });
});

describe('with fault servers for catalog, reviews and orders', () => {
  let f: FaultStack<'catalog' | 'reviews' | 'orders'>;
  let alice: CookieJar;
  let bob: CookieJar;
  beforeAll(async () => {
    f = await startFaultStack(['catalog', 'reviews', 'orders']);
    alice = await f.stack.login('alice');
    bob = await f.stack.login('bob');
  });
  beforeEach(() => f.reset());
  afterAll(() => f?.close());

  const product = (id: string, name: string) => ({ id, name, priceCents: 100, currency: 'EUR', stock: 1 });

  it('revalidates a stale catalog answer with If-None-Match and reuses it on 304', async () => {
    const fresh: Reply = (req, res, n) =>
      reply.json({ items: [product('p1', 'Cup')] }, 200, { 'cache-control': 'no-cache', etag: '"v1"' })(req, res, n);
    f.faults.catalog.on('GET', '/products', (req, res, n) =>
      req.headers['if-none-match'] === '"v1"' ? reply.status(304, { etag: '"v1"', 'cache-control': 'no-cache' })(req, res, n) : fresh(req, res, n),
    );
    const first = await f.stack.graphql(PRODUCT);
    const second = await f.stack.graphql(PRODUCT);
    expect(second.body).toEqual(first.body);
    expect(first.body.data!.product.name).toBe('Cup');
    expect(f.faults.catalog.requests.map((r) => [r.headers['if-none-match'], r.status])).toEqual([
      [undefined, 200],
      ['"v1"', 304],
    ]);
  });

  it('reuses a reviews answer while it is fresh', async () => {
    f.faults.catalog.on('GET', '/products', reply.json({ items: [product('p1', 'Cup')] }));
    f.faults.reviews.on(
      'GET',
      '/reviews',
      reply.json({ items: [{ productId: 'p1', averageRating: 4, count: 1, reviews: [] }] }, 200, { 'cache-control': 'public, max-age=60' }),
    );
    const query = `{ product(id: "p1") { rating { average } } }`;
    await f.stack.graphql(query);
    const second = await f.stack.graphql(query);
    expect(second.body).toEqual({ data: { product: { rating: { average: 4 } } } });
    expect(f.faults.reviews.requests).toHaveLength(1);
  });

  it('never shares or reuses an orders answer, even one marked public', async () => {
    // Each user's orders, told apart by the token that came with the call.
    f.faults.orders.on('GET', '/me/orders', (req, res, n) => {
      const token = String(req.headers.authorization).slice(-8);
      const order = {
        id: `o-${token}`,
        userId: token,
        status: 'PENDING',
        createdAt: '2026-01-01T00:00:00.000Z',
        lines: [],
        totalCents: 0,
        currency: 'EUR',
        paymentId: null,
      };
      return reply.json({ items: [order] }, 200, { 'cache-control': 'public, max-age=600', etag: '"same-for-all"' })(req, res, n);
    });
    const query = `{ me { orders { id } } }`;
    const ids = async (jar: CookieJar) => (await f.stack.graphql(query, { jar })).body.data!.me.orders.map((o: { id: string }) => o.id);
    const aliceFirst = await ids(alice);
    const bobs = await ids(bob);
    const aliceAgain = await ids(alice);
    expect(aliceAgain).toEqual(aliceFirst);
    expect(bobs).not.toEqual(aliceFirst);
    expect(f.faults.orders.requests).toHaveLength(3);
    for (const r of f.faults.orders.requests) expect(r.headers['if-none-match']).toBeUndefined();
  });
});
