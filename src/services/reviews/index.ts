import DataLoader from 'dataloader';
import { MAX_BATCH_SIZE } from '../../config/defaults.js';
import { alignToKeys } from '../align.js';
import { defineService, required } from '../definition.js';
import { ReviewsClient } from './client.js';
import { reviewsSettings } from './settings.js';
import type { ProductReviewsDTO } from './types.js';

export { ReviewsClient, type ReviewsClientOptions } from './client.js';
export type * from './types.js';

/** The reviews service: ratings and reviews per product (batched); a client-credentials token. */
export const reviews = defineService({
  ...reviewsSettings,
  createClient: (ctx) =>
    new ReviewsClient({ ...ctx, token: required(ctx.token, 'a client-credentials token', reviewsSettings.name), cache: ctx.cache ?? {} }),
  createLoaders: (client, { call }) => ({
    productReviews: new DataLoader<string, ProductReviewsDTO | null>(
      async (ids) => alignToKeys(ids, await client.getReviews(ids, call), (r) => r.productId),
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
  }),
  loadDemo: async () => (await import('./demo.js')).reviewsDemo,
});
