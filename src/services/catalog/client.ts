import type { SecretSource } from '../../secrets/index.js';
import { apiKeyCredential, type SecretRotationOptions } from '../../downstream/secret-credential.js';
import type { SharedAnswerClientOptions } from '../../downstream/http/client-options.js';
import { itemsOf } from '../../downstream/http/items.js';
import { checkBatchSize, encodeValue, fetchInBatches, listValue } from '../../downstream/http/paths.js';
import { SharedAnswerClient } from '../../downstream/http/service-client.js';
import { ServiceHttp, type CallOptions } from '../../downstream/http/service-http.js';
import type { ItemsDTO } from '../../downstream/types.js';
import type { ProductDTO, ProductPageDTO } from './types.js';

export interface CatalogClientOptions extends SharedAnswerClientOptions {
  /** `CATALOG_API_KEY`, sent as `x-api-key` on every call; rotated without a lost call. */
  readonly apiKey: SecretSource;
  /** How a rotation of the key is bridged (see `SecretCredentialOptions`); defaults there. */
  readonly rotation?: SecretRotationOptions | undefined;
}

/**
 * The catalog service (see docs/downstream.md): the only code that knows its paths
 * and its credential, a static API key.
 */
export class CatalogClient extends SharedAnswerClient {
  private readonly maxBatchSize: number;

  constructor(opts: CatalogClientOptions) {
    super(
      new ServiceHttp({
        ...opts.http,
        service: 'catalog',
        baseUrl: opts.baseUrl,
        timeoutMs: opts.timeoutMs,
        logger: opts.logger,
        cache: opts.cache ?? {},
        credential: apiKeyCredential(opts.apiKey, { ...opts.rotation, service: 'catalog', logger: opts.logger, now: opts.http?.now }),
      }),
    );
    this.maxBatchSize = checkBatchSize(opts.maxBatchSize);
  }

  /**
   * `GET /products?ids=…`. Unknown ids are absent from the result, which is in the
   * service's order: callers (DataLoader) align it to their keys.
   */
  getProducts(ids: readonly string[], opts?: CallOptions): Promise<ProductDTO[]> {
    return fetchInBatches(ids, this.maxBatchSize, async (batch) =>
      itemsOf(
        'catalog',
        await this.http.request<ItemsDTO<ProductDTO>>({ ...opts, method: 'GET', path: `/products?ids=${listValue(batch)}`, collection: true }),
      ),
    );
  }

  /** `GET /products/search?q=…&limit=…&cursor=…`; the cursor is the service's, passed back opaque. */
  async searchProducts(
    args: { query: string; limit: number; cursor?: string | null | undefined },
    opts?: CallOptions,
  ): Promise<ProductPageDTO> {
    let target = `/products/search?q=${encodeValue(args.query)}&limit=${encodeValue(String(args.limit))}`;
    if (args.cursor != null) target += `&cursor=${encodeValue(args.cursor)}`;
    const page = await this.http.request<ProductPageDTO>({ ...opts, method: 'GET', path: target, collection: true });
    return { items: itemsOf('catalog', page), nextCursor: page.nextCursor ?? null };
  }
}
