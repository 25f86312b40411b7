import { createHash } from 'node:crypto';
import type { OrderDTO, OrderStatusDTO } from '../../services/orders/types.js';
import type { PaymentIntentDTO, PaymentIntentStatusDTO } from '../../services/payments/types.js';
import { SEED_PRODUCTS_BY_ID } from './products.js';

interface OrderRow {
  id: string;
  userId: string;
  status: OrderStatusDTO;
  createdAt: string;
  lines: ReadonlyArray<readonly [productId: string, quantity: number]>;
  /** The payment intent's status, when the order has one. */
  payment?: PaymentIntentStatusDTO;
}

// userId is the dev IdP's sub (see demo-users.ts).
const ROWS: readonly OrderRow[] = [
  { id: 'o1001', userId: 'alice', status: 'SHIPPED', createdAt: '2025-03-02T10:15:00.000Z', lines: [['p1', 2], ['p11', 1]], payment: 'succeeded' },
  { id: 'o1002', userId: 'alice', status: 'SHIPPED', createdAt: '2025-04-18T17:42:00.000Z', lines: [['p6', 1]], payment: 'succeeded' },
  { id: 'o1003', userId: 'alice', status: 'CANCELLED', createdAt: '2025-05-09T08:05:00.000Z', lines: [['p28', 1]], payment: 'canceled' },
  { id: 'o1004', userId: 'alice', status: 'PAID', createdAt: '2025-06-21T19:30:00.000Z', lines: [['p23', 1], ['p25', 1], ['p33', 2]], payment: 'succeeded' },
  { id: 'o1005', userId: 'alice', status: 'PAID', createdAt: '2025-07-30T12:00:00.000Z', lines: [['p12', 3], ['p4', 2]], payment: 'succeeded' },
  { id: 'o1006', userId: 'alice', status: 'PENDING', createdAt: '2025-08-14T09:20:00.000Z', lines: [['p17', 4]], payment: 'requires_payment_method' },
  { id: 'o1007', userId: 'alice', status: 'PENDING', createdAt: '2025-09-01T07:55:00.000Z', lines: [['p3', 1], ['p5', 1], ['p10', 1]] },
  { id: 'o2001', userId: 'bob', status: 'SHIPPED', createdAt: '2025-02-11T14:10:00.000Z', lines: [['p13', 2]], payment: 'succeeded' },
  { id: 'o2002', userId: 'bob', status: 'CANCELLED', createdAt: '2025-03-27T16:45:00.000Z', lines: [['p44', 1]] },
  { id: 'o2003', userId: 'bob', status: 'PAID', createdAt: '2025-06-03T11:25:00.000Z', lines: [['p26', 1], ['p29', 1], ['p30', 1]], payment: 'succeeded' },
  { id: 'o2004', userId: 'bob', status: 'SHIPPED', createdAt: '2025-07-08T18:00:00.000Z', lines: [['p59', 1], ['p58', 2]], payment: 'succeeded' },
  { id: 'o2005', userId: 'bob', status: 'PENDING', createdAt: '2025-08-29T20:35:00.000Z', lines: [['p20', 2], ['p21', 1]] },
];

/** A deterministic Stripe-looking id: same seed, same id on every start. */
function seededId(prefix: string, seed: string, length: number): string {
  return `${prefix}${createHash('sha256').update(seed).digest('base64url').replace(/[-_]/g, '').slice(0, length)}`;
}

function build(): { orders: OrderDTO[]; payments: PaymentIntentDTO[] } {
  const orders: OrderDTO[] = [];
  const payments: PaymentIntentDTO[] = [];
  for (const row of ROWS) {
    const lines = row.lines.map(([productId, quantity]) => {
      const product = SEED_PRODUCTS_BY_ID.get(productId);
      if (!product) throw new Error(`seed order ${row.id} names unknown product ${productId}`);
      return { productId, quantity, unitPriceCents: product.priceCents };
    });
    const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
    let paymentId: string | null = null;
    if (row.payment) {
      paymentId = seededId('pi_', `payment:${row.id}`, 24);
      payments.push({
        id: paymentId,
        object: 'payment_intent',
        amount: totalCents,
        currency: 'eur',
        status: row.payment,
        client_secret: `${paymentId}_secret_${seededId('', `secret:${row.id}`, 25)}`,
        metadata: { orderId: row.id },
      });
    }
    orders.push({
      id: row.id,
      userId: row.userId,
      status: row.status,
      createdAt: row.createdAt,
      lines,
      totalCents,
      currency: 'EUR',
      paymentId,
    });
  }
  return { orders, payments };
}

const built = build();

/** The demo orders of alice and bob (userId = the dev IdP's sub), in several statuses. */
export const SEED_ORDERS: readonly OrderDTO[] = Object.freeze(built.orders);

/** Payment intents of the seeded orders that have one (every PAID and SHIPPED order). */
export const SEED_PAYMENT_INTENTS: readonly PaymentIntentDTO[] = Object.freeze(built.payments);
