import type { Credential } from '../../downstream/credential.js';
import type { ClientOptions } from '../../downstream/http/client-options.js';
import { itemsOf } from '../../downstream/http/items.js';
import { checkBatchSize, encodeValue, fetchInBatches, listValue } from '../../downstream/http/paths.js';
import { HttpServiceClient } from '../../downstream/http/service-client.js';
import { ServiceHttp, type CallOptions } from '../../downstream/http/service-http.js';
import type { ItemsDTO } from '../../downstream/types.js';
import type { NewOrderLineDTO, OrderDTO } from './types.js';

export interface OrdersClientOptions extends ClientOptions {
  /** Ids per `GET /orders` request; longer lists are split and fetched in parallel. Default `100`. */
  readonly maxBatchSize?: number | undefined;
}

/**
 * The orders service. It has no credential of its own: every call carries the signed-in
 * user's access token (a per-request `Credential` from the auth layer), and the service
 * only ever shows that user's orders. Shared (pool, breaker) across users; nothing
 * user-scoped is kept here.
 */
export class OrdersClient extends HttpServiceClient {
  private readonly maxBatchSize: number;

  constructor(opts: OrdersClientOptions) {
    super(
      new ServiceHttp({
        ...opts.http,
        service: 'orders',
        baseUrl: opts.baseUrl,
        timeoutMs: opts.timeoutMs,
        logger: opts.logger,
      }),
    );
    this.maxBatchSize = checkBatchSize(opts.maxBatchSize);
  }

  /** `GET /me/orders?limit=…`: the user's orders, newest first. */
  async myOrders(user: Credential, limit: number, opts?: CallOptions): Promise<OrderDTO[]> {
    const body = await this.http.request<ItemsDTO<OrderDTO>>({
      ...opts,
      method: 'GET',
      path: `/me/orders?limit=${encodeValue(String(limit))}`,
      collection: true,
      credential: user,
    });
    return itemsOf('orders', body);
  }

  /** `GET /orders?ids=…`: other users' and unknown orders are absent, in any order. */
  getOrders(user: Credential, ids: readonly string[], opts?: CallOptions): Promise<OrderDTO[]> {
    return fetchInBatches(ids, this.maxBatchSize, async (batch) =>
      itemsOf(
        'orders',
        await this.http.request<ItemsDTO<OrderDTO>>({
          ...opts,
          method: 'GET',
          path: `/orders?ids=${listValue(batch)}`,
          collection: true,
          credential: user,
        }),
      ),
    );
  }

  /**
   * `POST /orders` with `Idempotency-Key`: the same key and lines give the same order,
   * so the call is retried safely after a timeout or a 5xx. `422` (unknown product, bad
   * quantity) rejects as `bad_input` with the service's message.
   */
  async placeOrder(
    user: Credential,
    input: { idempotencyKey: string; lines: NewOrderLineDTO[] },
    opts?: CallOptions,
  ): Promise<OrderDTO> {
    if (input.idempotencyKey === '') throw new TypeError('placeOrder needs an idempotency key');
    return this.http.request<OrderDTO>({
      ...opts,
      method: 'POST',
      path: '/orders',
      collection: true,
      credential: user,
      idempotencyKey: input.idempotencyKey,
      json: { lines: input.lines },
    });
  }
}
