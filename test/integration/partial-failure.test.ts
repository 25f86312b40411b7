import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { freePort } from '../support/free-port.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * One failing service nulls only the fields that need it: a port nobody listens on
 * stands in for a service that is down.
 */

const DASHBOARD = `{ me { orders(first: 3) { id total { amount } lines { quantity product { name price { amount } rating { average } reviews { rating } } } } } }`;

describe('with the reviews service down', () => {
  let stack: Stack;
  let alice: CookieJar;
  beforeAll(async () => {
    stack = await startStack({ env: { REVIEWS_URL: `http://127.0.0.1:${await freePort()}` } });
    alice = await stack.login('alice');
  });
  afterAll(() => stack?.close());

  it('still delivers orders, products and prices, with ratings and reviews null and named errors', async () => {
    const { body, status } = await stack.graphql(DASHBOARD, { jar: alice });
    expect(status).toBe(200);
    const orders = body.data!.me.orders;
    expect(orders).toHaveLength(3);
    for (const order of orders) {
      expect(order.total.amount).toBeGreaterThan(0);
      for (const line of order.lines) {
        expect(line.product.name).toEqual(expect.any(String));
        expect(line.product.price.amount).toBeGreaterThan(0);
        expect(line.product.rating).toBeNull();
        expect(line.product.reviews).toBeNull();
      }
    }
    expect(body.errors!.length).toBeGreaterThan(0);
    for (const error of body.errors!) {
      expect(error.extensions).toEqual({ code: 'DOWNSTREAM_UNAVAILABLE', service: 'reviews', retryable: true });
      expect(error.message).toBe('Reviews are unavailable right now.');
      expect(['rating', 'reviews']).toContain(error.path!.at(-1));
    }
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
  });
});

describe('with the catalog down', () => {
  let stack: Stack;
  let alice: CookieJar;
  beforeAll(async () => {
    stack = await startStack({ env: { CATALOG_URL: `http://127.0.0.1:${await freePort()}` } });
    alice = await stack.login('alice');
  });
  afterAll(() => stack?.close());

  it('keeps orders and quantities, nulls the products and names the catalog', async () => {
    const { body } = await stack.graphql(DASHBOARD, { jar: alice });
    const lines = body.data!.me.orders.flatMap((o: { lines: unknown[] }) => o.lines);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.quantity).toBeGreaterThan(0);
      expect(line.product).toBeNull();
    }
    expect(new Set(body.errors!.map((e) => e.extensions!.service))).toEqual(new Set(['catalog']));
  });

  it('answers product(id) with a DOWNSTREAM_UNAVAILABLE error and null', async () => {
    const { body } = await stack.graphql(`{ product(id: "p1") { id } }`);
    expect(body.data).toEqual({ product: null });
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'DOWNSTREAM_UNAVAILABLE', service: 'catalog' });
  });
});

describe('with the orders service down', () => {
  let stack: Stack;
  let alice: CookieJar;
  beforeAll(async () => {
    stack = await startStack({ env: { ORDERS_URL: `http://127.0.0.1:${await freePort()}` } });
    alice = await stack.login('alice');
  });
  afterAll(() => stack?.close());

  it('keeps the viewer and nulls only orders', async () => {
    const { body } = await stack.graphql(`{ me { id name orders { id } } }`, { jar: alice });
    expect(body.data!.me).toMatchObject({ id: 'alice', orders: null });
    expect(body.errors![0]).toMatchObject({ path: ['me', 'orders'], extensions: { code: 'DOWNSTREAM_UNAVAILABLE', service: 'orders' } });
  });
});

describe('readiness with the identity provider unreachable', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { OIDC_ISSUER: `http://127.0.0.1:${await freePort()}` } });
  });
  afterAll(() => stack?.close());

  it('answers 503 naming the identity provider, while /healthz stays 200', async () => {
    const ready = await stack.fetch('/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text_)).toEqual({ status: 'unavailable', failing: ['identity-provider'] });
    expect((await stack.fetch('/healthz')).status).toBe(200);
  });
});
