import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ProductReviewsDTO } from '../downstream/types.js';
import {
  sendCacheable,
  bearerToken,
  createServiceApp,
  finishServiceApp,
  HttpError,
  parseIds,
  type RecordedRequest,
  unauthenticated,
} from './http.js';
import { SEED_REVIEWS } from './seed/index.js';
import { IdpUnavailableError, type TokenCheck } from './token-validation.js';

export interface ReviewsOptions {
  /** Resolves a client-credentials token (introspected, scope checked), or null when invalid. */
  checkServiceToken: TokenCheck<{ clientId: string }>;
  onRequest?: (r: RecordedRequest) => void;
  logger?: Logger;
}

/** reviews (contracts/downstream.md): reviews per product; client-credentials token auth. */
export function createReviewsApp(opts: ReviewsOptions): Express {
  const app = createServiceApp('reviews', opts.onRequest);
  const byProduct = new Map<string, ProductReviewsDTO>(SEED_REVIEWS.map((r) => [r.productId, r]));

  const authenticate: RequestHandler = async (req, _res, next) => {
    const token = bearerToken(req);
    if (!token) throw unauthenticated('A client-credentials access token is required.');
    let client: { clientId: string } | null;
    try {
      client = await opts.checkServiceToken(token);
    } catch (err) {
      if (err instanceof IdpUnavailableError) {
        opts.logger?.warn({ err: { message: err.message } }, 'reviews: cannot introspect tokens');
        throw new HttpError(503, 'UNAVAILABLE', 'Token validation is unavailable.');
      }
      throw err;
    }
    if (!client) throw unauthenticated('The access token is invalid, expired or lacks the required scope.');
    next();
  };

  app.get('/reviews', authenticate, (req, res) => {
    // Products without reviews are simply absent, as the contract allows.
    const items = parseIds(res, 'productIds').flatMap((id) => byProduct.get(id) ?? []);
    sendCacheable(req, res, { items });
  });

  finishServiceApp(app, opts.logger);
  return app;
}
