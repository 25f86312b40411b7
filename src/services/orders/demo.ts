import type { DemoStandIn } from '../definition.js';
import type { Express, Response } from 'express';
import type { Logger } from 'pino';
import type { NewOrderLineDTO, OrderDTO } from './types.js';
import {
  IdempotentReplies,
  requireBearer,
  requireIdempotencyKey,
  createServiceApp,
  finishServiceApp,
  HttpError,
  intParam,
  parseIds,
  type DemoServiceRequest,
  requireBody,
} from '../../demo/http.js';
import { SEED_ORDERS, SEED_PRODUCTS_BY_ID } from '../../demo/seed/index.js';
import type { TokenCheck } from '../../demo/token-validation.js';

export interface OrdersOptions {
  /** Resolves a user access token to its `sub` (null when invalid); see token-validation.ts. */
  checkUserToken: TokenCheck<{ sub: string }>;
  onRequest?: (r: DemoServiceRequest) => void;
  logger?: Logger;
}

const MAX_LINES = 50;
const MAX_QUANTITY = 99;


/** Validates `{"lines": [...]}`; 422 naming the field for anything the shop cannot sell. */
function parseNewOrder(body: unknown): NewOrderLineDTO[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(422, 'INVALID_ORDER', 'The body must be an object with "lines".', 'lines');
  }
  const lines = (body as { lines?: unknown }).lines;
  if (!Array.isArray(lines) || lines.length === 0) {
    throw new HttpError(422, 'INVALID_ORDER', '"lines" must be a non-empty array.', 'lines');
  }
  if (lines.length > MAX_LINES) {
    throw new HttpError(422, 'INVALID_ORDER', `An order has at most ${MAX_LINES} lines.`, 'lines');
  }
  return lines.map((line: unknown, i) => {
    const { productId, quantity } = (line && typeof line === 'object' ? line : {}) as Record<string, unknown>;
    if (typeof productId !== 'string' || !SEED_PRODUCTS_BY_ID.has(productId)) {
      throw new HttpError(422, 'UNKNOWN_PRODUCT', `Line ${i + 1}: no such product.`, `lines[${i}].productId`);
    }
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      throw new HttpError(
        422,
        'INVALID_QUANTITY',
        `Line ${i + 1}: quantity must be a whole number from 1 to ${MAX_QUANTITY}.`,
        `lines[${i}].quantity`,
      );
    }
    return { productId, quantity };
  });
}

/**
 * orders (docs/downstream.md): the caller's orders only, found from the user access
 * token. State (seed plus orders placed) belongs to this app instance.
 */
export function createOrdersApp(opts: OrdersOptions): Express {
  const app = createServiceApp('orders', opts.onRequest);
  const orders = new Map<string, OrderDTO>(SEED_ORDERS.map((o) => [o.id, o]));
  /** `${sub}\n${key}` → the first result: keys are scoped to the user who sent them. */
  const idempotency = new IdempotentReplies<OrderDTO>('This Idempotency-Key was already used with a different request.');
  // New ids start past the seed's.
  let nextId = 10_001;

  const authenticate = requireBearer({
    service: 'orders',
    check: opts.checkUserToken,
    wanted: 'A user access token',
    refused: 'The access token is invalid or expired.',
    onValid: (res, user) => {
      res.locals.sub = user.sub;
    },
    logger: opts.logger,
  });
  const sub = (res: Response) => res.locals.sub as string;

  app.get('/me/orders', authenticate, (_req, res) => {
    const limit = intParam(res, 'limit', { min: 1, max: 100, fallback: 20 });
    const mine = [...orders.values()]
      .filter((o) => o.userId === sub(res))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
      .slice(0, limit);
    res.setHeader('Cache-Control', 'private, no-store');
    res.json({ items: mine });
  });

  app.get('/orders', authenticate, (_req, res) => {
    const items = parseIds(res, 'ids').flatMap((id) => {
      const order = orders.get(id);
      return order && order.userId === sub(res) ? [order] : [];
    });
    res.setHeader('Cache-Control', 'private, no-store');
    res.json({ items });
  });

  app.post('/orders', authenticate, (req, res) => {
    const key = requireIdempotencyKey(req);
    const lines = parseNewOrder(requireBody(res));
    const fingerprint = JSON.stringify(lines);
    const scopedKey = `${sub(res)}\n${key}`;
    res.setHeader('Cache-Control', 'no-store');

    // Replayed exactly as first answered (Stripe does the same, and says so in a header).
    const previous = idempotency.replay(scopedKey, fingerprint, res);
    if (previous) {
      res.status(201).json(previous);
      return;
    }

    const priced = lines.map((l) => ({
      productId: l.productId,
      quantity: l.quantity,
      unitPriceCents: SEED_PRODUCTS_BY_ID.get(l.productId)!.priceCents,
    }));
    const order: OrderDTO = {
      id: `o${nextId++}`,
      userId: sub(res),
      status: 'PENDING',
      createdAt: new Date().toISOString(),
      lines: priced,
      totalCents: priced.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0),
      currency: 'EUR',
      paymentId: null,
    };
    orders.set(order.id, order);
    idempotency.remember(scopedKey, fingerprint, order);
    res.status(201).json(order);
  });

  finishServiceApp(app, opts.logger);
  return app;
}

/** The stand-in the registry starts when `ORDERS_URL` is unset. */
export const ordersDemo: DemoStandIn = (ctx) =>
  createOrdersApp({ checkUserToken: ctx.checkUserToken, onRequest: ctx.onRequest, logger: ctx.logger });
