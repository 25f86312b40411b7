import { expect } from '@jest/globals';
import { SEED_ORDERS } from '../../src/demo/seed/index.js';
import { describeRotation } from '../support/rotation.js';

/**
 * PAYMENTS_SECRET_KEY_FILE rotated under load, the service first and the file first
 * (see test/support/rotation.ts). Each GraphQL request reads one order and its payment.
 */

const order = SEED_ORDERS.find((o) => o.id === 'o1001')!;

describeRotation({
  service: 'payments',
  fileSetting: 'PAYMENTS_SECRET_KEY_FILE',
  keys: ['sk_test_rotation_first_0123456789', 'sk_test_rotation_second_0123456789', 'sk_test_rotation_third_0123456789'],
  signIn: true,
  query: `{ me { order(id: "${order.id}") { id payment { id status } } } }`,
  expectAnswer: ({ status, body }) => {
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.me.order.payment.id).toBe(order.paymentId);
  },
  keyOf: (r) => String(r.headers.authorization).replace(/^Bearer /, ''),
  write: 'rename',
});
