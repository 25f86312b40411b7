import DataLoader from 'dataloader';
import { MAX_BATCH_SIZE } from '../../config/defaults.js';
import { unauthenticated } from '../../graphql/errors.js';
import { alignToKeys } from '../align.js';
import { defineService } from '../definition.js';
import { OrdersClient } from './client.js';
import { ordersSettings } from './settings.js';
import type { OrderDTO } from './types.js';

export { OrdersClient, type OrdersClientOptions } from './client.js';
export type * from './types.js';

/** The orders service: the signed-in user's orders, every call with the user's access token. */
export const orders = defineService({
  ...ordersSettings,
  createClient: (ctx) => new OrdersClient(ctx),
  createLoaders: (client, { user, call }) => ({
    /** Only the signed-in user's orders; rejects with UNAUTHENTICATED without a session. */
    order: new DataLoader<string, OrderDTO | null>(async (ids) => {
      if (!user) throw unauthenticated();
      return alignToKeys(ids, await client.getOrders(user, ids, call), (o) => o.id);
    }, { maxBatchSize: MAX_BATCH_SIZE }),
  }),
  loadDemo: async () => (await import('./demo.js')).ordersDemo,
});
