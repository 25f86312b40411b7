import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { LATE_TIMER_MS, type RecordedRequest, type Reply, reply } from '../support/fault-server.js';
import { type FaultStack, startFaultStack } from '../support/fault-stack.js';

/**
 * The orders and payments services as fault servers behind the real BFF, signed in as
 * alice: payments (no batch endpoint) is never flooded when a page of orders fans out,
 * 404 and 422 map to what the schema promises, and user-chosen ids reach the payments
 * service as one encoded path segment.
 */

const order = (id: string, paymentId: string | null = null, status = 'PENDING') => ({
  id,
  userId: 'alice',
  status,
  createdAt: '2026-01-01T00:00:00.000Z',
  lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 1299 }],
  totalCents: 1299,
  currency: 'EUR',
  paymentId,
});

const intent = (id: string) => ({
  id,
  object: 'payment_intent',
  amount: 1299,
  currency: 'eur',
  status: 'requires_payment_method',
  client_secret: `${id}_secret_abc`,
  metadata: {},
});

/** The orders asked for by id, as the contract answers them (each raw id decoded on its own). */
const ordersById =
  (paymentIdOf: (id: string) => string | null): Reply =>
  (req, res, n) => {
    const raw = req.url.slice(req.url.indexOf('?ids=') + '?ids='.length);
    return reply.json({ items: raw.split(',').map(decodeURIComponent).map((id) => order(id, paymentIdOf(id))) })(req, res, n);
  };

/** The intent named by the last path segment. */
const intentByPath: Reply = (req, res, n) => reply.json(intent(decodeURIComponent(req.path.split('/').pop()!)))(req, res, n);

const PAY = `mutation($id: ID!) { payOrder(orderId: $id) { id status } }`;

let f: FaultStack<'orders' | 'payments'>;
let alice: CookieJar;
beforeAll(async () => {
  f = await startFaultStack(['orders', 'payments']);
  alice = await f.stack.login('alice');
});
beforeEach(() => f.reset());
afterAll(() => f?.close());

describe('the concurrency cap of payments', () => {
  it('holds when a page of 40 orders fans out to 40 single payment calls (default cap 16)', async () => {
    const orders = Array.from({ length: 40 }, (_, i) => order(`o${i}`, `pi_${i}`, 'PAID'));
    f.faults.orders.on('GET', '/me/orders', reply.json({ items: orders }));
    // Answers are held until the cap is full (by count, not for a pause that a slow
    // machine could outlast), so the peak seen is the cap, not how fast calls arrive. A
    // smaller cap never fills: the hold then ends after LATE_TIMER_MS and the peak shows it.
    const cap = f.stack.bff.config.downstream.payments.resilience.maxConcurrent;
    let full = false;
    const whenFull: Reply = async (req, res, n) => {
      const giveUp = Date.now() + LATE_TIMER_MS;
      while (!full && f.faults.payments.inFlight < cap && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 2));
      full = true;
      return intentByPath(req, res, n);
    };
    f.faults.payments.on('GET', '/v1/payment_intents/*', whenFull);
    const result = await f.stack.graphql(`{ me { orders(first: 40) { id payment { id } } } }`, { jar: alice });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data!.me.orders.map((o: { payment: { id: string } }) => o.payment.id)).toEqual(orders.map((o) => o.paymentId));
    expect(f.faults.payments.requests).toHaveLength(40);
    expect(f.faults.payments.maxInFlight).toBe(f.stack.bff.config.downstream.payments.resilience.maxConcurrent);
    expect(f.faults.payments.maxInFlight).toBe(16);
  });
});

describe('404: null where the schema allows it, NOT_FOUND where it does not', () => {
  it('an order whose payment intent the service does not know has payment null, without an error', async () => {
    f.faults.orders.on('GET', '/orders', ordersById(() => 'pi_gone'));
    f.faults.payments.on('GET', '/v1/payment_intents/*', reply.error(404, 'resource_missing', 'No such payment_intent'));
    const result = await f.stack.graphql(`{ me { order(id: "o1") { id payment { id } } } }`, { jar: alice });
    expect(result.body).toEqual({ data: { me: { order: { id: 'o1', payment: null } } } });
  });

  it('an order the service does not return is null, without an error', async () => {
    f.faults.orders.on('GET', '/orders', reply.json({ items: [] }));
    const result = await f.stack.graphql(`{ me { order(id: "o-elsewhere") { id } } }`, { jar: alice });
    expect(result.body).toEqual({ data: { me: { order: null } } });
  });

  it('payOrder (non-null) for an order the service does not return is NOT_FOUND, and pays nothing', async () => {
    f.faults.orders.on('GET', '/orders', reply.json({ items: [] }));
    const result = await f.stack.graphql(PAY, { jar: alice, variables: { id: 'o-elsewhere' } });
    expect(result.body.data).toBeNull();
    expect(result.body.errors![0]!.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(f.faults.payments.requests).toHaveLength(0);
  });
});

describe('422 from a downstream', () => {
  it('placeOrder: BAD_USER_INPUT with the field and the service’s message, sent once', async () => {
    f.faults.orders.on(
      'POST',
      '/orders',
      reply.error(422, 'UNKNOWN_PRODUCT', 'Line 1: no such product.', { field: 'lines[0].productId' }, { 'x-internal': 'node-7' }),
    );
    const result = await f.stack.graphql(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
      jar: alice,
      variables: { input: { idempotencyKey: 'resilience-422-0001', lines: [{ productId: 'p-unknown', quantity: 1 }] } },
    });
    expect(result.body.data).toBeNull();
    expect(result.body.errors).toEqual([
      expect.objectContaining({
        message: 'Line 1: no such product.',
        extensions: { code: 'BAD_USER_INPUT', field: 'input.lines[0].productId' },
      }),
    ]);
    expect(result.text).not.toContain('node-7');
    expect(f.faults.orders.requests).toHaveLength(1);
  });

  it('payOrder: a payments 422 (Stripe’s `param`) is BAD_USER_INPUT with that field', async () => {
    f.faults.orders.on('GET', '/orders', ordersById(() => null));
    f.faults.payments.on('POST', '/v1/payment_intents', reply.error(422, 'parameter_invalid_integer', 'Invalid amount.', { param: 'amount' }));
    const result = await f.stack.graphql(PAY, { jar: alice, variables: { id: 'o1' } });
    expect(result.body.errors![0]).toMatchObject({ message: 'Invalid amount.', extensions: { code: 'BAD_USER_INPUT', field: 'amount' } });
    expect(f.faults.payments.requests).toHaveLength(1);
  });
});

describe('ids on the wire to orders and payments', () => {
  const NASTY = ['a/b', '..', '.', 'x?y=1', 'h#i', 'käse ☕', '😀', '%2F', 'pi_1/../../admin'];

  /** Everything after `prefix` in a raw target, checked to be one query value or path segment, decoded. */
  const after = (req: RecordedRequest, prefix: string, as: 'value' | 'segment') => {
    expect(req.url.startsWith(prefix)).toBe(true);
    const raw = req.url.slice(prefix.length);
    expect(raw).not.toMatch(/[/?#&,]/);
    // Dot segments would be resolved by servers and proxies (`/x/..` is `/`).
    if (as === 'segment') expect(['.', '..']).not.toContain(raw);
    return decodeURIComponent(raw);
  };

  it.each(NASTY)('payOrder(orderId: %j) reaches orders as one query value and payments as one path segment', async (id) => {
    // The order's existing intent carries the same awkward id, so payOrder reads it back.
    f.faults.orders.on('GET', '/orders', ordersById((orderId) => orderId));
    f.faults.payments.on('GET', '/v1/payment_intents/*', intentByPath);
    const result = await f.stack.graphql(PAY, { jar: alice, variables: { id } });
    expect(result.body).toEqual({ data: { payOrder: { id, status: 'requires_payment_method' } } });

    const [ordersCall] = f.faults.orders.requests;
    expect(ordersCall!.path).toBe('/orders');
    expect(after(ordersCall!, '/orders?ids=', 'value')).toBe(id);
    const [paymentsCall] = f.faults.payments.requests;
    expect(after(paymentsCall!, '/v1/payment_intents/', 'segment')).toBe(id);
  });
});
