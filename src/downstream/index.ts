import type { Config, SecretRotationConfig, ServiceName } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { SecretSource } from '../secrets/index.js';
import { CatalogClient } from './catalog-client.js';
import type { Credential } from './credential.js';
import type { SecretRotationOptions } from './credentials.js';
import type { HttpTuning } from './http/client-options.js';
import type { ResponseCacheOptions } from './http/response-cache.js';
import { OrdersClient } from './orders-client.js';
import { PaymentsClient } from './payments-client.js';
import { ReviewsClient } from './reviews-client.js';

export { CatalogClient, type CatalogClientOptions } from './catalog-client.js';
export type { Credential, RenewOptions } from './credential.js';
export {
  apiKeyCredential,
  bearerSecretCredential,
  SECRET_ROTATION_DEFAULTS,
  type SecretCredentialOptions,
  type SecretRotationOptions,
} from './credentials.js';
export { DownstreamCallBudget, DownstreamCallLimitError, DownstreamError, type DownstreamFailure } from './errors.js';
export type { ClientOptions, HttpTuning } from './http/client-options.js';
export { RESILIENCE_DEFAULTS, type CallBudget, type ResilienceOptions } from './http/resilience.js';
export type { ResponseCacheOptions } from './http/response-cache.js';
export type { CallOptions } from './http/service-http.js';
export { OrdersClient, type OrdersClientOptions } from './orders-client.js';
export { PaymentsClient, type PaymentsClientOptions } from './payments-client.js';
export { ReviewsClient, type ReviewsClientOptions } from './reviews-client.js';
export type * from './types.js';

export interface DownstreamClientsOptions {
  /** Timeouts, resilience and secret rotation (the secret refs are already opened as `secrets`). */
  readonly config: Config['downstream'];
  /**
   * Each service's base URL, resolved by the caller: the configured `*_URL`, or the
   * address of the in-process demo service when it is unset.
   */
  readonly urls: Readonly<Record<ServiceName, string>>;
  readonly secrets: {
    readonly catalogApiKey: SecretSource;
    readonly paymentsSecretKey: SecretSource;
  };
  /** The client-credentials token provider for reviews (built by the auth layer). */
  readonly reviewsToken: Credential;
  readonly logger: Logger;
  /** Tuning applied to all four services (tests, benchmarks). Default: the core's defaults. */
  readonly http?: HttpTuning | undefined;
  /**
   * The shared HTTP cache of catalog and reviews (the only services whose answers are the
   * same for every user); `false` turns it off. Default `{}` (each client's defaults).
   */
  readonly cache?: ResponseCacheOptions | false | undefined;
}

/** The four clients, created once per process; each owns one keep-alive pool. */
export interface DownstreamClients {
  readonly catalog: CatalogClient;
  readonly orders: OrdersClient;
  readonly reviews: ReviewsClient;
  readonly payments: PaymentsClient;
  /** Closes every pool (after the calls in flight), for a graceful shutdown. */
  close(): Promise<void>;
}

export function createDownstreamClients(opts: DownstreamClientsOptions): DownstreamClients {
  const { config, urls, logger, cache } = opts;
  // Each service's settings (retries, breaker, concurrency cap), under any tuning the
  // caller passes for all of them (tests, benchmarks).
  const tuning = (service: ServiceName): HttpTuning => {
    const { attemptTimeoutMs } = config[service];
    const given = { attemptTimeoutMs, ...opts.http };
    if (given.resilience === false) return given;
    return { ...given, resilience: { ...config[service].resilience, ...given.resilience } };
  };
  const rotation = ({ waitMs, previousGraceMs }: SecretRotationConfig): SecretRotationOptions => ({
    rotationWaitMs: waitMs,
    previousGraceMs,
  });
  const catalog = new CatalogClient({
    baseUrl: urls.catalog,
    timeoutMs: config.catalog.timeoutMs,
    apiKey: opts.secrets.catalogApiKey,
    rotation: rotation(config.catalog.secretRotation),
    logger,
    http: tuning('catalog'),
    cache,
  });
  const orders = new OrdersClient({ baseUrl: urls.orders, timeoutMs: config.orders.timeoutMs, logger, http: tuning('orders') });
  const reviews = new ReviewsClient({
    baseUrl: urls.reviews,
    timeoutMs: config.reviews.timeoutMs,
    token: opts.reviewsToken,
    logger,
    http: tuning('reviews'),
    cache,
  });
  const payments = new PaymentsClient({
    baseUrl: urls.payments,
    timeoutMs: config.payments.timeoutMs,
    secretKey: opts.secrets.paymentsSecretKey,
    rotation: rotation(config.payments.secretRotation),
    logger,
    http: tuning('payments'),
  });
  return {
    catalog,
    orders,
    reviews,
    payments,
    async close() {
      const results = await Promise.allSettled([catalog.close(), orders.close(), reviews.close(), payments.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
