import DataLoader from 'dataloader';
import type { Credential } from '../../downstream/credential.js';
import type { CallOptions, DownstreamClients } from '../../downstream/index.js';
import type { OrderDTO, PaymentIntentDTO, ProductDTO, ProductReviewsDTO } from '../../downstream/types.js';
import { unauthenticated } from '../errors.js';
import { alignToKeys } from './align.js';

/**
 * The most ids one downstream batch call carries (the services' contract); DataLoader
 * splits larger batches into several calls.
 */
export const MAX_BATCH_SIZE = 100;

export interface Loaders {
  product: DataLoader<string, ProductDTO | null>;
  productReviews: DataLoader<string, ProductReviewsDTO | null>;
  /** Only the signed-in user's orders; rejects with UNAUTHENTICATED without a session. */
  order: DataLoader<string, OrderDTO | null>;
  paymentIntent: DataLoader<string, PaymentIntentDTO | null>;
}

/**
 * One set of loaders per GraphQL request: their caches hold user-scoped data and must
 * never outlive it. Each `load()` made in the same tick becomes one downstream call.
 */
export function createLoaders(clients: DownstreamClients, user: Credential | null, call: CallOptions): Loaders {
  const options = { maxBatchSize: MAX_BATCH_SIZE };
  return {
    product: new DataLoader(
      async (ids) => alignToKeys(ids, await clients.catalog.getProducts(ids, call), (p) => p.id),
      options,
    ),
    productReviews: new DataLoader(
      async (ids) => alignToKeys(ids, await clients.reviews.getReviews(ids, call), (r) => r.productId),
      options,
    ),
    order: new DataLoader(async (ids) => {
      if (!user) throw unauthenticated();
      return alignToKeys(ids, await clients.orders.getOrders(user, ids, call), (o) => o.id);
    }, options),
    // Payments has no batch endpoint: DataLoader dedupes the ids of one tick and the
    // single calls run in parallel (the payments client caps how many at once). A
    // failure stays in its own slot instead of failing the other ids.
    paymentIntent: new DataLoader(
      (ids) =>
        Promise.all(
          ids.map((id) =>
            clients.payments.getPaymentIntent(id, call).catch((err: unknown) => err as Error),
          ),
        ),
      options,
    ),
  };
}
