import type { DemoStandIn } from '../definition.js';
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ProductDTO } from './types.js';
import {
  sendCacheable,
  createServiceApp,
  demoRequest,
  finishServiceApp,
  HttpError,
  intParam,
  parseIds,
  type DemoServiceRequest,
  secretEquals,
  invalidCredentials,
} from '../../demo/http.js';
import { SEED_PRODUCTS, SEED_PRODUCTS_BY_ID } from '../../demo/seed/index.js';

export interface CatalogOptions {
  /** The expected `x-api-key`; a function so a rotated key applies at once. */
  apiKey: () => string;
  onRequest?: (r: DemoServiceRequest) => void;
  logger?: Logger;
}

const MAX_QUERY_LENGTH = 200;

/** Search cursors are opaque to callers; inside, the offset and the query they belong to. */
interface Cursor {
  o: number;
  q: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string, q: string): number {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof c.o === 'number' && Number.isInteger(c.o) && c.o >= 0 && c.q === q) return c.o;
  } catch {
    // Falls through to the 400 below.
  }
  throw new HttpError(400, 'INVALID_CURSOR', 'The cursor is invalid or belongs to another search.', 'cursor');
}

/** catalog (docs/downstream.md): products by id and a paged search; `x-api-key` auth. */
export function createCatalogApp(opts: CatalogOptions): Express {
  const app = createServiceApp('catalog', opts.onRequest);
  const products: readonly ProductDTO[] = SEED_PRODUCTS;

  const requireApiKey: RequestHandler = (req, _res, next) => {
    const given = req.headers['x-api-key'];
    if (typeof given !== 'string' || !secretEquals(given, opts.apiKey())) throw invalidCredentials();
    next();
  };

  app.get('/products', requireApiKey, (req, res) => {
    const ids = parseIds(res, 'ids');
    const items = ids.flatMap((id) => SEED_PRODUCTS_BY_ID.get(id) ?? []);
    sendCacheable(req, res, { items });
  });

  app.get('/products/search', requireApiKey, (req, res) => {
    const { query } = demoRequest(res);
    const q = (query.q ?? '').trim();
    if (q.length > MAX_QUERY_LENGTH) {
      throw new HttpError(400, 'BAD_REQUEST', `"q" must be at most ${MAX_QUERY_LENGTH} characters.`, 'q');
    }
    const limit = intParam(res, 'limit', { min: 1, max: 50, fallback: 20 });
    const offset = query.cursor ? decodeCursor(query.cursor, q) : 0;
    const needle = q.toLowerCase();
    const matches = needle
      ? products.filter((p) => `${p.name} ${p.description ?? ''}`.toLowerCase().includes(needle))
      : products;
    const items = matches.slice(offset, offset + limit);
    const next = offset + limit;
    sendCacheable(req, res, { items, nextCursor: next < matches.length ? encodeCursor({ o: next, q }) : null });
  });

  finishServiceApp(app, opts.logger);
  return app;
}

/** The stand-in the registry starts when `CATALOG_URL` is unset. */
export const catalogDemo: DemoStandIn = (ctx) => createCatalogApp({ apiKey: ctx.secret, onRequest: ctx.onRequest, logger: ctx.logger });
