import type { Express } from 'express';
import type { Logger } from 'pino';
import { SERVICE_NAMES, type ServiceName } from '../config/index.js';
import { createCatalogApp } from './catalog.js';
import { listen, type DemoServiceRequest } from './http.js';
import { createOrdersApp } from './orders.js';
import { createPaymentsApp } from './payments.js';
import { createReviewsApp } from './reviews.js';
import { cachedTokenCheck, discovery, introspectionCheck, userinfoCheck } from './token-validation.js';

export type { DemoServiceRequest } from './http.js';
export { MAX_BATCH_IDS } from './http.js';
export * from './seed/index.js';

export interface DemoServicesOptions {
  /** The IdP: orders validate user access tokens at its userinfo endpoint, reviews by introspection. */
  issuer: string;
  /** The resource-server client reviews introspects as (the dev IdP's `resourceServer`). */
  introspectionClient: { clientId: string; clientSecret: string };
  /** The catalog's expected `x-api-key`; a function, so tests can rotate keys while running. */
  catalogApiKey: () => string;
  /** The payments secret key (`Authorization: Bearer …`); a function, for rotation. */
  paymentsSecretKey: () => string;
  /** Scope a reviews token must carry. Default `reviews:read`. */
  reviewsScope?: string;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port per service. Default 0 (a free port) for each. */
  ports?: Partial<Record<ServiceName, number>>;
  /** Called for every request received, before any credential check (tests record them). */
  onRequest?: (r: DemoServiceRequest) => void;
  /**
   * How long a token's validation result is reused, in milliseconds (keyed by a hash of
   * the token), so a benchmark does not measure the IdP. Default 5000; 0 checks every time.
   */
  tokenCacheTtlMs?: number;
  /** Logs unexpected errors and IdP outages (never a token or key). Default: silent. */
  logger?: Logger;
}

export interface DemoServices {
  /** Base URL of each service, e.g. `http://127.0.0.1:41234`. */
  urls: Record<ServiceName, string>;
  close(): Promise<void>;
}

const DEFAULT_TOKEN_CACHE_TTL_MS = 5000;

/**
 * Starts the four demo REST services of contracts/downstream.md, each on its own port
 * with fresh state, so `npm start` works with no settings and tests have real
 * counterparts. Credentials are enforced exactly as the contract says.
 */
export async function startDemoServices(opts: DemoServicesOptions): Promise<DemoServices> {
  const host = opts.host ?? '127.0.0.1';
  const ttl = opts.tokenCacheTtlMs ?? DEFAULT_TOKEN_CACHE_TTL_MS;
  const idp = discovery(opts.issuer);
  const common = { onRequest: opts.onRequest, logger: opts.logger };

  const apps: Record<ServiceName, Express> = {
    catalog: createCatalogApp({ ...common, apiKey: opts.catalogApiKey }),
    orders: createOrdersApp({ ...common, checkUserToken: cachedTokenCheck(userinfoCheck(idp), ttl) }),
    reviews: createReviewsApp({
      ...common,
      checkServiceToken: cachedTokenCheck(
        introspectionCheck(idp, opts.introspectionClient, opts.reviewsScope ?? 'reviews:read'),
        ttl,
      ),
    }),
    payments: createPaymentsApp({ ...common, secretKey: opts.paymentsSecretKey }),
  };

  const started: Array<{ name: ServiceName; url: string; close(): Promise<void> }> = [];
  try {
    for (const name of SERVICE_NAMES) {
      started.push({ name, ...(await listen(apps[name], host, opts.ports?.[name] ?? 0)) });
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }
  return {
    urls: Object.fromEntries(started.map((s) => [s.name, s.url])) as Record<ServiceName, string>,
    close: async () => {
      await Promise.all(started.map((s) => s.close()));
    },
  };
}
