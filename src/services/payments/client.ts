import type { SecretSource } from '../../secrets/index.js';
import { bearerSecretCredential, type SecretRotationOptions } from '../../downstream/secret-credential.js';
import { DownstreamError } from '../../downstream/errors.js';
import type { ClientOptions } from '../../downstream/http/client-options.js';
import { formBody } from '../../downstream/http/form.js';
import { path } from '../../downstream/http/paths.js';
import { HttpServiceClient } from '../../downstream/http/service-client.js';
import { ServiceHttp, type CallOptions } from '../../downstream/http/service-http.js';
import type { PaymentIntentDTO } from './types.js';

export interface PaymentsClientOptions extends ClientOptions {
  /**
   * `PAYMENTS_SECRET_KEY`, sent as `Authorization: Bearer …`. It can be rotated at any
   * time, the service or the file first, without a lost call.
   */
  readonly secretKey: SecretSource;
  /** How a rotation of the key is bridged (see `SecretCredentialOptions`); defaults there. */
  readonly rotation?: SecretRotationOptions | undefined;
}

/**
 * The Stripe-shaped payments service. It has no batch endpoint: a DataLoader runs the
 * single calls in parallel (bounded by this service's bulkhead).
 */
export class PaymentsClient extends HttpServiceClient {

  constructor(opts: PaymentsClientOptions) {
    super(
      new ServiceHttp({
        ...opts.http,
        service: 'payments',
        baseUrl: opts.baseUrl,
        timeoutMs: opts.timeoutMs,
        logger: opts.logger,
        credential: bearerSecretCredential(opts.secretKey, { ...opts.rotation, service: 'payments', logger: opts.logger, now: opts.http?.now }),
      }),
    );
  }

  /** `GET /v1/payment_intents/<id>`; `null` when the service does not know the id (404). */
  async getPaymentIntent(id: string, opts?: CallOptions): Promise<PaymentIntentDTO | null> {
    // An empty id would address the collection, not an intent.
    if (id === '') return null;
    try {
      return await this.http.request<PaymentIntentDTO>({ ...opts, method: 'GET', path: path`/v1/payment_intents/${id}`, route: '/v1/payment_intents/{id}' });
    } catch (err) {
      if (err instanceof DownstreamError && err.failure === 'not_found') return null;
      throw err;
    }
  }

  /**
   * `POST /v1/payment_intents`, form-encoded like Stripe
   * (`amount=2598&currency=eur&metadata[orderId]=o1`), with `Idempotency-Key`, so a
   * retry after a timeout cannot charge twice. `amount` is in minor units; the currency
   * is sent in lower case as Stripe expects.
   */
  async createPaymentIntent(
    input: { amount: number; currency: string; orderId: string },
    idempotencyKey: string,
    opts?: CallOptions,
  ): Promise<PaymentIntentDTO> {
    if (idempotencyKey === '') throw new TypeError('createPaymentIntent needs an idempotency key');
    return this.http.request<PaymentIntentDTO>({
      ...opts,
      method: 'POST',
      path: '/v1/payment_intents',
      collection: true,
      idempotencyKey,
      form: formBody({
        amount: input.amount,
        currency: input.currency.toLowerCase(),
        metadata: { orderId: input.orderId },
      }),
    });
  }
}
