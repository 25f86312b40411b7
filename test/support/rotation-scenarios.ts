import { expect } from '@jest/globals';
import { SEED_ORDERS } from '../../src/demo/seed/index.js';
import type { RotationScenario } from './rotation.js';

/** What a rotation suite of each service checks, whatever holds the secret (see rotation.ts). */
type ServiceScenario = Omit<RotationScenario, 'home' | 'keys'>;

/** The catalog's API key: each request reads one product, without a session. */
export const catalogRotation: ServiceScenario = {
  service: 'catalog',
  setting: 'CATALOG_API_KEY',
  signIn: false,
  query: `{ product(id: "p1") { id name } }`,
  expectAnswer: ({ status, body }) => {
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.product).toMatchObject({ id: 'p1', name: expect.any(String) });
  },
  keyOf: (r) => r.headers['x-api-key'] as string | undefined,
};

const order = SEED_ORDERS.find((o) => o.id === 'o1001')!;

/** The payments secret key: each request (signed in) reads one order and its payment. */
export const paymentsRotation: ServiceScenario = {
  service: 'payments',
  setting: 'PAYMENTS_SECRET_KEY',
  signIn: true,
  query: `{ me { order(id: "${order.id}") { id payment { id status } } } }`,
  expectAnswer: ({ status, body }) => {
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.me.order.payment.id).toBe(order.paymentId);
  },
  keyOf: (r) => String(r.headers.authorization).replace(/^Bearer /, ''),
};
