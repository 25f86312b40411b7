import DataLoader from 'dataloader';
import { MAX_BATCH_SIZE } from '../../config/defaults.js';
import { defineService, requireSecret } from '../definition.js';
import { PaymentsClient } from './client.js';
import { paymentsSettings } from './settings.js';
import type { PaymentIntentDTO } from './types.js';

export { PaymentsClient, type PaymentsClientOptions } from './client.js';
export type * from './types.js';

/** The Stripe-shaped payments service: intents one by one (no batch endpoint); a rotatable secret key. */
export const payments = defineService({
  ...paymentsSettings,
  createClient: (ctx) => new PaymentsClient({ ...ctx, secretKey: requireSecret(ctx, paymentsSettings.name) }),
  createLoaders: (client, { call }) => ({
    // No batch endpoint: DataLoader dedupes the ids of one tick and the single calls run
    // in parallel (the client's bulkhead caps how many at once). A failure stays in its
    // own slot instead of failing the other ids.
    paymentIntent: new DataLoader<string, PaymentIntentDTO | null>(
      (ids) => Promise.all(ids.map((id) => client.getPaymentIntent(id, call).catch((err: unknown) => err as Error))),
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
  }),
  loadDemo: async () => (await import('./demo.js')).paymentsDemo,
});
