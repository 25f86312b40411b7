import type { DemoStandIn } from '../definition.js';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { ProductReviewsDTO } from './types.js';
import {
  requireBearer,
  sendCacheable,
  createServiceApp,
  finishServiceApp,
  parseIds,
  type DemoServiceRequest,
} from '../../demo/http.js';
import { SEED_REVIEWS } from '../../demo/seed/index.js';
import type { TokenCheck } from '../../demo/token-validation.js';

export interface ReviewsOptions {
  /** Resolves a client-credentials token (introspected, scope checked), or null when invalid. */
  checkServiceToken: TokenCheck<{ clientId: string }>;
  onRequest?: (r: DemoServiceRequest) => void;
  logger?: Logger;
}

/** reviews (docs/downstream.md): reviews per product; client-credentials token auth. */
export function createReviewsApp(opts: ReviewsOptions): Express {
  const app = createServiceApp('reviews', opts.onRequest);
  const byProduct = new Map<string, ProductReviewsDTO>(SEED_REVIEWS.map((r) => [r.productId, r]));

  const authenticate = requireBearer({
    service: 'reviews',
    check: opts.checkServiceToken,
    wanted: 'A client-credentials access token',
    refused: 'The access token is invalid, expired or lacks the required scope.',
    logger: opts.logger,
  });

  app.get('/reviews', authenticate, (req, res) => {
    // Products without reviews are simply absent, as the contract allows.
    const items = parseIds(res, 'productIds').flatMap((id) => byProduct.get(id) ?? []);
    sendCacheable(req, res, { items });
  });

  finishServiceApp(app, opts.logger);
  return app;
}

/** The stand-in the registry starts when `REVIEWS_URL` is unset. */
export const reviewsDemo: DemoStandIn = (ctx) =>
  createReviewsApp({ checkServiceToken: ctx.checkServiceToken, onRequest: ctx.onRequest, logger: ctx.logger });
