import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { DEFAULT_TRUSTED_DOCUMENTS_FILE } from '../../src/config/index.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The shop's screens as the frontends run them: every operation of the clients'
 * manifest, sent by id as production clients send it, under `enforce` and the default
 * operation limits and rate limits. A new operation in client/operations/ must be added
 * here (the last test fails otherwise), so no screen can ship that the BFF refuses.
 */

const MANIFEST = JSON.parse(readFileSync(DEFAULT_TRUSTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>;
const ids = new Map(
  Object.entries(MANIFEST).map(([id, text]) => [/^(?:query|mutation) (\w+)/.exec(text)?.[1] ?? id, id] as const),
);
const exercised = new Set<string>();

describe('the clients’ operations, by id, under enforce and the default limits', () => {
  let stack: Stack;
  let alice: CookieJar;

  beforeAll(async () => {
    // No GRAPHQL_MAX_* and no RATE_LIMIT_* settings: the defaults are what is tested.
    stack = await startStack({ redis: true, env: { GRAPHQL_TRUSTED_DOCUMENTS: 'enforce' } });
    alice = await stack.login('alice');
  });
  afterAll(() => stack?.close());

  /** Runs a listed operation by id, as alice unless `jar` is null (a visitor). */
  async function run(name: string, variables?: Record<string, unknown>, jar: CookieJar | null = alice) {
    const documentId = ids.get(name);
    if (!documentId) throw new Error(`${name} is not in the clients' manifest`);
    exercised.add(name);
    const res = await stack.fetch('/graphql', {
      method: 'POST',
      jar: jar ?? undefined,
      headers: { 'content-type': 'application/json', origin: stack.bff.url },
      body: JSON.stringify({ documentId, variables }),
    });
    const body = JSON.parse(res.text_) as { data?: any; errors?: unknown[] };
    expect({ status: res.status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
    // The user's data: no browser or shared cache may keep it.
    expect(res.headers.get('cache-control')).toBe('no-store');
    return body.data;
  }

  it('SignInState: who is signed in, and null for a visitor', async () => {
    expect((await run('SignInState')).me).toMatchObject({ id: 'alice', name: expect.any(String) });
    expect((await run('SignInState', undefined, null)).me).toBeNull();
  });

  it('Dashboard: orders, products and reviews in three batched calls, payments one per paid order', async () => {
    stack.recorder.clear();
    const { me } = await run('Dashboard');
    expect(me.orders.length).toBeGreaterThan(0);
    expect(me.orders[0].lines[0].product).toMatchObject({ id: expect.any(String), name: expect.any(String) });
    // orders, then the products of every line in one batch, then their reviews in one;
    // payments has no batch endpoint: one call per order that has a payment.
    const paid = me.orders.filter((o: { payment: unknown }) => o.payment !== null).length;
    const calls = stack.recorder.all.map((r) => r.service);
    expect(calls.filter((s) => s !== 'payments').sort()).toEqual(['catalog', 'orders', 'reviews']);
    expect(calls.filter((s) => s === 'payments')).toHaveLength(paid);
  });

  it('SearchProducts: the largest page the search allows, and paging by cursor', async () => {
    const all = (await run('SearchProducts', { query: 'e', first: 50 })).searchProducts;
    expect(all.nodes.length).toBeGreaterThan(2);
    const page1 = (await run('SearchProducts', { query: 'e', first: 2 })).searchProducts;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await run('SearchProducts', { query: 'e', first: 2, after: page1.pageInfo.endCursor })).searchProducts;
    const seen = [...page1.nodes, ...page2.nodes].map((p: { id: string }) => p.id);
    expect(seen).toEqual(all.nodes.slice(0, seen.length).map((p: { id: string }) => p.id));
  });

  it('ProductPage: a product with its reviews', async () => {
    expect((await run('ProductPage', { id: 'p1' })).product).toMatchObject({ id: 'p1', name: expect.any(String) });
  });

  it('PlaceOrder then PayOrder: checkout, and paying twice returns the same intent', async () => {
    const input = { lines: [{ productId: 'p1', quantity: 2 }], idempotencyKey: `client-ops-${Date.now()}` };
    const order = (await run('PlaceOrder', { input })).placeOrder;
    expect(order).toMatchObject({ id: expect.any(String), status: 'PENDING' });
    const payment = (await run('PayOrder', { orderId: order.id })).payOrder;
    expect(payment).toMatchObject({ id: expect.any(String), clientSecret: expect.any(String) });
    expect((await run('PayOrder', { orderId: order.id })).payOrder.id).toBe(payment.id);
  });

  it('covers every operation in the manifest', () => {
    expect([...exercised].sort()).toEqual([...ids.keys()].sort());
  });
});
