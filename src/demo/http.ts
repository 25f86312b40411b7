import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { MAX_BATCH_SIZE } from '../config/defaults.js';
import type { ServiceName } from '../config/index.js';
import { bearerToken } from '../lib/bearer-token.js';
import { sendError } from '../lib/error-response.js';
import { BodyTooLargeError, readRawBody } from './read-body.js';
import { IdpUnavailableError } from './token-validation.js';

/** One request as a demo service received it, before any check: what tests assert on. */
export interface DemoServiceRequest {
  service: ServiceName;
  method: string;
  /** Path and query exactly as received. */
  url: string;
  path: string;
  /** The query string's parameters (the last value wins for repeated names). */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON or form body; the raw text when it did not parse; undefined when empty. */
  body: unknown;
}

/** An expected failure, answered as the contract's `{"error": {"code", "message"}}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The offending input, e.g. `lines[0].productId`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** What the shared middleware worked out about a request, for the route handlers. */
export interface DemoRequest {
  query: Record<string, string>;
  body: unknown;
  /** Set when there was a body that could not be parsed as its content type says. */
  bodyError?: string;
}

/** Bodies of the demo APIs are small; anything larger is refused with 413. */
const BODY_LIMIT = 64 * 1024;
/** Object keys never copied from input, so a body cannot reach `Object.prototype`. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function demoRequest(res: Response): DemoRequest {
  return res.locals.demo as DemoRequest;
}

/**
 * Stripe-style form bodies: `amount=2598&metadata[orderId]=o1` becomes
 * `{ amount: '2598', metadata: { orderId: 'o1' } }` (one level of nesting, as the contract needs).
 */
export function parseFormBody(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const nested = /^([^[\]]+)\[([^[\]]+)\]$/.exec(key);
    if (nested) {
      const [, outer, inner] = nested as unknown as [string, string, string];
      if (UNSAFE_KEYS.has(outer) || UNSAFE_KEYS.has(inner)) continue;
      const current = out[outer];
      const obj = current && typeof current === 'object' ? (current as Record<string, unknown>) : {};
      obj[inner] = value;
      out[outer] = obj;
    } else if (!UNSAFE_KEYS.has(key)) {
      out[key] = value;
    }
  }
  return out;
}

function parseBody(raw: Buffer | undefined, contentType: string | undefined, upstream: unknown): Omit<DemoRequest, 'query'> {
  if (raw === undefined) return { body: upstream };
  if (raw.length === 0) return { body: undefined };
  const text = raw.toString('utf8');
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return { body: JSON.parse(text) as unknown };
    } catch {
      return { body: text, bodyError: 'The body is not valid JSON.' };
    }
  }
  if (type === 'application/x-www-form-urlencoded') return { body: parseFormBody(text) };
  return { body: text, bodyError: 'Send the body as application/json or application/x-www-form-urlencoded.' };
}

/**
 * An Express app for one demo service with the parts every service shares: no
 * fingerprinting header, no automatic ETag (catalog adds its own), our own query and body
 * parsing (so even a malformed request is recorded before it is refused), and
 * `onRequest` called for every request before any credential check.
 */
export function createServiceApp(service: ServiceName, onRequest?: (r: DemoServiceRequest) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(async (req, res, next) => {
    const url = req.originalUrl || req.url;
    const at = url.indexOf('?');
    const path = at === -1 ? url : url.slice(0, at);
    const query = Object.fromEntries(new URLSearchParams(at === -1 ? '' : url.slice(at + 1)));
    let parsed: Omit<DemoRequest, 'query'>;
    let tooLarge: BodyTooLargeError | undefined;
    try {
      parsed = parseBody(await readRawBody(req, BODY_LIMIT), req.headers['content-type'], (req as { body?: unknown }).body);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) return next(err);
      tooLarge = err;
      parsed = { body: undefined };
    }
    res.locals.demo = { query, ...parsed } satisfies DemoRequest;
    onRequest?.({
      service,
      method: req.method,
      url,
      path,
      query,
      headers: req.headers,
      body: parsed.body,
    });
    if (tooLarge) return next(tooLarge);
    next();
  });
  return app;
}

/** The last handlers of every service: 404 for unknown routes, errors as JSON, never a crash. */
export function finishServiceApp(app: Express, logger: Logger | undefined): void {
  app.use((_req, _res) => {
    throw new HttpError(404, 'NOT_FOUND', 'No such endpoint.');
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof HttpError) {
      return sendError(res, err.status, err.code, err.message, err.field);
    }
    if (err instanceof BodyTooLargeError) {
      return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'The request body is too large.');
    }
    // Express's own refusals (a malformed %-escape in a path parameter) carry a 4xx status.
    const status = (err as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(res, status, 'BAD_REQUEST', 'The request is malformed.');
    }
    logger?.error({ err: { message: (err as Error)?.message } }, 'demo service: unexpected error');
    sendError(res, 500, 'INTERNAL', 'Internal error.');
  };
  app.use(onError);
}

/** Throws unless the request had a parseable body. */
export function requireBody(res: Response): unknown {
  const { body, bodyError } = demoRequest(res);
  if (bodyError) throw new HttpError(400, 'BAD_REQUEST', bodyError);
  return body;
}

/** Maximum ids in one batch request (docs/downstream.md). */
export const MAX_BATCH_IDS = MAX_BATCH_SIZE;

/** A comma-separated id list from the query: required, at most 100 ids, duplicates removed. */
export function parseIds(res: Response, name: string): string[] {
  const raw = demoRequest(res).query[name];
  if (raw === undefined) throw new HttpError(400, 'BAD_REQUEST', `Query parameter "${name}" is required.`, name);
  const ids = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length > MAX_BATCH_IDS) {
    throw new HttpError(400, 'TOO_MANY_IDS', `At most ${MAX_BATCH_IDS} ids per request (got ${ids.length}).`, name);
  }
  return [...new Set(ids)];
}

/** An optional whole-number query parameter within bounds. */
export function intParam(res: Response, name: string, bounds: { min: number; max: number; fallback: number }): number {
  const raw = demoRequest(res).query[name];
  if (raw === undefined || raw === '') return bounds.fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < bounds.min || Number(raw) > bounds.max) {
    throw new HttpError(400, 'BAD_REQUEST', `"${name}" must be a whole number from ${bounds.min} to ${bounds.max}.`, name);
  }
  return Number(raw);
}

export { bearerToken } from '../lib/bearer-token.js';
export { secretEquals } from '../secrets/secret-equals.js';

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** The `Idempotency-Key` header that orders and payments require on their POSTs. */
export function requireIdempotencyKey(req: Request): string {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || key.trim() === '' || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new HttpError(
      400,
      'IDEMPOTENCY_KEY_REQUIRED',
      `An Idempotency-Key header (1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters) is required.`,
      'Idempotency-Key',
    );
  }
  return key;
}

/** A demo service's 401: the caller's API key or token is missing or refused (the service's answer, not the BFF's). */
export const invalidCredentials = (message = 'Missing or invalid credentials.') =>
  new HttpError(401, 'UNAUTHENTICATED', message);

/** Listens on host:port (0 = a free port) and returns the base URL and a closer. */
export async function listen(app: RequestListener, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actual } = server.address() as AddressInfo;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostPart}:${actual}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * Catalog and reviews answers may be cached by anyone for this long: the data is the
 * same for every caller and static in the demo.
 */
const PUBLIC_CACHE_CONTROL = 'public, max-age=30';

/**
 * Sends JSON with a strong ETag over the exact bytes and `Cache-Control`, and answers
 * `304` to a matching `If-None-Match`, so HTTP caches in front of (or inside) the BFF can
 * revalidate for free.
 */
export function sendCacheable(req: Request, res: Response, payload: unknown): void {
  const body = JSON.stringify(payload);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  res.setHeader('Cache-Control', PUBLIC_CACHE_CONTROL);
  res.setHeader('ETag', etag);
  const inm = req.headers['if-none-match'];
  const matches =
    inm !== undefined && (inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag));
  if (matches) {
    res.status(304).end();
    return;
  }
  res.type('application/json').send(body);
}


export interface BearerCheckOptions<T> {
  /** Validates a token at the IdP; resolves null for a token it refuses. */
  readonly check: (token: string) => Promise<T | null>;
  /** What kind of token the service wants, for the 401 without one. */
  readonly wanted: string;
  /** The 401 message for a refused token. */
  readonly refused: string;
  /** Receives what the check found (the user, the client) for the route handlers. */
  readonly onValid?: (res: Response, found: T) => void;
  readonly service: ServiceName;
  readonly logger?: Logger | undefined;
}

/**
 * The bearer-token check of the services that validate tokens at the IdP (orders:
 * userinfo, reviews: introspection): 401 without a token or for a refused one, 503 when
 * the IdP cannot answer (the token may be fine: not the caller's fault).
 */
export function requireBearer<T>(opts: BearerCheckOptions<T>): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (!token) throw invalidCredentials(`${opts.wanted} is required.`);
    let found: T | null;
    try {
      found = await opts.check(token);
    } catch (err) {
      if (err instanceof IdpUnavailableError) {
        opts.logger?.warn({ err: { message: err.message } }, `${opts.service}: cannot validate tokens`);
        throw new HttpError(503, 'UNAVAILABLE', 'Token validation is unavailable.');
      }
      throw err;
    }
    if (!found) throw invalidCredentials(opts.refused);
    opts.onValid?.(res, found);
    next();
  };
}

/**
 * Stripe-style idempotency, as orders and payments both promise: the first answer to a
 * key is kept and replayed (with `Idempotent-Replayed: true`) for the same request; the
 * same key with a different request is refused with 422.
 */
export class IdempotentReplies<T> {
  readonly #first = new Map<string, { readonly fingerprint: string; readonly answer: T }>();

  /** @param reuseMessage The 422 message for a key reused with a different request. */
  constructor(private readonly reuseMessage: string) {}

  /**
   * The answer first given for `key`, with the replay header set on `res`; undefined for
   * a new key. `fingerprint` is the normalised request.
   */
  replay(key: string, fingerprint: string, res: Response): T | undefined {
    const first = this.#first.get(key);
    if (!first) return undefined;
    if (first.fingerprint !== fingerprint) {
      throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', this.reuseMessage, 'Idempotency-Key');
    }
    res.setHeader('Idempotent-Replayed', 'true');
    return first.answer;
  }

  remember(key: string, fingerprint: string, answer: T): void {
    this.#first.set(key, { fingerprint, answer });
  }
}
