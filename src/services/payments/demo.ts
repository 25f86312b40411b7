import type { DemoStandIn } from '../definition.js';
import { randomBytes } from 'node:crypto';
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { PaymentIntentDTO } from './types.js';
import {
  IdempotentReplies,
  requireIdempotencyKey,
  bearerToken,
  createServiceApp,
  finishServiceApp,
  HttpError,
  type DemoServiceRequest,
  requireBody,
  secretEquals,
  invalidCredentials,
} from '../../demo/http.js';
import { SEED_PAYMENT_INTENTS } from '../../demo/seed/index.js';

export interface PaymentsOptions {
  /** The expected secret key (`Authorization: Bearer sk_…`); a function so rotation applies at once. */
  secretKey: () => string;
  onRequest?: (r: DemoServiceRequest) => void;
  logger?: Logger;
}

const MAX_AMOUNT = 99_999_999;
const MAX_METADATA_KEYS = 50;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  // 62 symbols from a byte: the slight bias is irrelevant for demo ids.
  for (const b of bytes) out += ALPHANUMERIC[b % ALPHANUMERIC.length];
  return out;
}

interface NewIntent {
  amount: number;
  currency: string;
  metadata: Record<string, string>;
}

/** Stripe's create parameters, from JSON or a form (where every value is a string). */
function parseNewIntent(body: unknown): NewIntent {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(422, 'INVALID_PARAMETER', 'Send amount and currency.', 'amount');
  }
  const { amount, currency, metadata } = body as Record<string, unknown>;
  const amountNumber = typeof amount === 'string' && /^\d+$/.test(amount) ? Number(amount) : amount;
  if (typeof amountNumber !== 'number' || !Number.isInteger(amountNumber) || amountNumber < 1 || amountNumber > MAX_AMOUNT) {
    throw new HttpError(422, 'INVALID_PARAMETER', `amount must be a whole number of minor units from 1 to ${MAX_AMOUNT}.`, 'amount');
  }
  if (typeof currency !== 'string' || !/^[a-zA-Z]{3}$/.test(currency)) {
    throw new HttpError(422, 'INVALID_PARAMETER', 'currency must be a three-letter ISO code such as eur.', 'currency');
  }
  const meta: Record<string, string> = {};
  if (metadata !== undefined && metadata !== '') {
    if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new HttpError(422, 'INVALID_PARAMETER', 'metadata must be a set of key-value pairs.', 'metadata');
    }
    const entries = Object.entries(metadata);
    if (entries.length > MAX_METADATA_KEYS) {
      throw new HttpError(422, 'INVALID_PARAMETER', `metadata has at most ${MAX_METADATA_KEYS} keys.`, 'metadata');
    }
    for (const [k, v] of entries) {
      if (typeof v !== 'string' || k.length > 40 || v.length > 500) {
        throw new HttpError(422, 'INVALID_PARAMETER', 'metadata values must be strings (keys up to 40, values up to 500 characters).', `metadata[${k.slice(0, 40)}]`);
      }
      meta[k] = v;
    }
  }
  return { amount: amountNumber, currency: currency.toLowerCase(), metadata: meta };
}

/**
 * payments (docs/downstream.md), shaped like Stripe's PaymentIntents: create with an
 * Idempotency-Key, read one by id. No batch endpoint, on purpose.
 */
export function createPaymentsApp(opts: PaymentsOptions): Express {
  const app = createServiceApp('payments', opts.onRequest);
  const intents = new Map<string, PaymentIntentDTO>(SEED_PAYMENT_INTENTS.map((p) => [p.id, p]));
  const idempotency = new IdempotentReplies<PaymentIntentDTO>('This Idempotency-Key was already used with different parameters.');

  const requireSecretKey: RequestHandler = (req, _res, next) => {
    const key = bearerToken(req);
    if (!key || !secretEquals(key, opts.secretKey())) throw invalidCredentials('Invalid API key provided.');
    next();
  };

  app.post('/v1/payment_intents', requireSecretKey, (req, res) => {
    const key = requireIdempotencyKey(req);
    const input = parseNewIntent(requireBody(res));
    const fingerprint = JSON.stringify([input.amount, input.currency, Object.entries(input.metadata).sort()]);
    res.setHeader('Cache-Control', 'no-store');

    const previous = idempotency.replay(key, fingerprint, res);
    if (previous) {
      res.json(previous);
      return;
    }

    const id = `pi_${randomAlphanumeric(24)}`;
    const intent: PaymentIntentDTO = {
      id,
      object: 'payment_intent',
      amount: input.amount,
      currency: input.currency,
      status: 'requires_payment_method',
      client_secret: `${id}_secret_${randomAlphanumeric(25)}`,
      metadata: input.metadata,
    };
    intents.set(id, intent);
    idempotency.remember(key, fingerprint, intent);
    res.json(intent);
  });

  app.get('/v1/payment_intents/:id', requireSecretKey, (req, res) => {
    const intent = intents.get(String(req.params.id));
    if (!intent) throw new HttpError(404, 'NOT_FOUND', 'No such payment_intent.', 'id');
    res.setHeader('Cache-Control', 'no-store');
    res.json(intent);
  });

  finishServiceApp(app, opts.logger);
  return app;
}

/** The stand-in the registry starts when `PAYMENTS_URL` is unset. */
export const paymentsDemo: DemoStandIn = (ctx) => createPaymentsApp({ secretKey: ctx.secret, onRequest: ctx.onRequest, logger: ctx.logger });
