import type { ServiceSettings } from '../definition.js';

/** The payments service's settings: pure data, read by `src/config` (see `../definition.ts`). */
export const paymentsSettings = {
  name: 'payments',
  envPrefix: 'PAYMENTS',
  credential: { kind: 'secret-key', secret: 'PAYMENTS_SECRET_KEY', demoValue: 'sk_test_demo_payments_secret_key' },
  // No batch endpoint: a page of orders becomes one call per intent, so a smaller cap
  // keeps the BFF from flooding it.
  resilience: { maxConcurrent: 16 },
  unavailableMessage: 'Payments are unavailable right now.',
} as const satisfies ServiceSettings;
