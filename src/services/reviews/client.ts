import type { Credential } from '../../downstream/credential.js';
import type { SharedAnswerClientOptions } from '../../downstream/http/client-options.js';
import { itemsOf } from '../../downstream/http/items.js';
import { checkBatchSize, fetchInBatches, listValue } from '../../downstream/http/paths.js';
import { SharedAnswerClient } from '../../downstream/http/service-client.js';
import { ServiceHttp, type CallOptions } from '../../downstream/http/service-http.js';
import type { ItemsDTO } from '../../downstream/types.js';
import type { ProductReviewsDTO } from './types.js';

export interface ReviewsClientOptions extends SharedAnswerClientOptions {
  /**
   * The BFF's client-credentials token for the reviews service (scope `reviews:read`),
   * cached by its provider until shortly before it expires; `renew()` fetches a new one
   * after a 401.
   */
  readonly token: Credential;
}

/** The reviews service: the only code that knows its paths and its credential. */
export class ReviewsClient extends SharedAnswerClient {
  private readonly maxBatchSize: number;

  constructor(opts: ReviewsClientOptions) {
    super(
      new ServiceHttp({
        ...opts.http,
        service: 'reviews',
        baseUrl: opts.baseUrl,
        timeoutMs: opts.timeoutMs,
        logger: opts.logger,
        cache: opts.cache ?? {},
        credential: opts.token,
      }),
    );
    this.maxBatchSize = checkBatchSize(opts.maxBatchSize);
  }

  /**
   * `GET /reviews?productIds=…`. A product with no reviews may be absent from the result
   * (callers treat that as "no reviews", not as an error).
   */
  getReviews(productIds: readonly string[], opts?: CallOptions): Promise<ProductReviewsDTO[]> {
    return fetchInBatches(productIds, this.maxBatchSize, async (batch) =>
      itemsOf(
        'reviews',
        await this.http.request<ItemsDTO<ProductReviewsDTO>>({
          ...opts,
          method: 'GET',
          path: `/reviews?productIds=${listValue(batch)}`,
          collection: true,
        }),
      ),
    );
  }
}
