import DataLoader from 'dataloader';
import { MAX_BATCH_SIZE } from '../../config/defaults.js';
import { alignToKeys } from '../align.js';
import { defineService, requireSecret } from '../definition.js';
import { CatalogClient } from './client.js';
import { catalogSettings } from './settings.js';
import type { ProductDTO } from './types.js';

export { CatalogClient, type CatalogClientOptions } from './client.js';
export type * from './types.js';

/** The catalog service: products by id (batched) and search; a static, rotatable API key. */
export const catalog = defineService({
  ...catalogSettings,
  createClient: (ctx) =>
    new CatalogClient({ ...ctx, apiKey: requireSecret(ctx, catalogSettings.name), cache: ctx.cache ?? {} }),
  createLoaders: (client, { call }) => ({
    product: new DataLoader<string, ProductDTO | null>(
      async (ids) => alignToKeys(ids, await client.getProducts(ids, call), (p) => p.id),
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
  }),
  loadDemo: async () => (await import('./demo.js')).catalogDemo,
});
