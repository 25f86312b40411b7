/**
 * The baseline: a minimal hand-written node:http handler that does the dashboard's work
 * with no GraphQL, no Express, no session middleware. Per request it:
 *
 * 1. reads the BFF's own session: the signed cookie is checked (HMAC-SHA256, as
 *    express-session/cookie-signature do), one Redis GET of `shop-bff:sess:<sid>`,
 *    JSON.parse, the session's absolute expiry checked, and the access token decrypted
 *    (HKDF-SHA256 key, AES-256-GCM with the user as AAD, as src/session/token-crypto.ts);
 * 2. makes the same three pooled undici calls as the BFF with the same credentials:
 *    `GET /me/orders?limit=20` (the user's access token), then in parallel
 *    `GET /products?ids=…` (`x-api-key`) and `GET /reviews?productIds=…` (a
 *    client-credentials token from the IdP, kept until shortly before it expires);
 * 3. writes the JSON the BFF answers for the bench's dashboard query (bench/documents.ts).
 *
 * No shared cache: it always makes the three calls. Configuration: `BASELINE_CONFIG` (JSON,
 * see `BaselineConfig`). Prints one line `{"port":…}` once listening. Exits when stdin
 * closes or on SIGTERM.
 */
import { createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { Pool } from 'undici';

export interface BaselineConfig {
  readonly redisUrl: string;
  readonly sessionSecret: string;
  readonly sessionEncryptionKey: string;
  /** The BFF's cookie name, `__Host-` prefix included. */
  readonly cookieName: string;
  readonly ordersUrl: string;
  readonly catalogUrl: string;
  readonly reviewsUrl: string;
  readonly catalogApiKey: string;
  /** The IdP's token endpoint and the BFF's client, for the reviews client-credentials token. */
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly reviewsScope: string;
}

interface OrderDTO {
  id: string;
  totalCents: number;
  currency: string;
  lines: Array<{ productId: string; quantity: number }>;
}
interface ProductDTO {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
}
interface ProductReviewsDTO {
  productId: string;
  averageRating: number;
  count: number;
  reviews: Array<{ rating: number }>;
}

function readConfig(): BaselineConfig {
  const raw = process.env.BASELINE_CONFIG;
  if (!raw) throw new Error('BASELINE_CONFIG is not set (this process is started by bench/index.ts)');
  return JSON.parse(raw) as BaselineConfig;
}
const config = readConfig();

// --- session: cookie signature, Redis GET, token decryption -------------------------

const cookiePrefix = `${config.cookieName}=`;
const sessionSecret = config.sessionSecret.split(',')[0]!.trim();

/** The session id of a signed `s:<sid>.<signature>` cookie value, or null. */
function unsign(value: string): string | null {
  if (!value.startsWith('s:')) return null;
  const signed = value.slice(2);
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return null;
  const sid = signed.slice(0, dot);
  const expected = Buffer.from(createHmac('sha256', sessionSecret).update(sid).digest('base64').replace(/=+$/, ''));
  const given = Buffer.from(signed.slice(dot + 1));
  return expected.length === given.length && timingSafeEqual(expected, given) ? sid : null;
}

function sessionIdOf(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const p = part.trim();
    if (p.startsWith(cookiePrefix)) return unsign(decodeURIComponent(p.slice(cookiePrefix.length)));
  }
  return null;
}

const ikm = Buffer.from(config.sessionEncryptionKey.split(',')[0]!.trim(), 'utf8');
const aesKey = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'shop-bff session token encryption v1', 32));

/** The access token sealed in the session's `auth.tokens` (v1.<kid>.<iv>.<body+tag>), or null. */
function accessTokenOf(blob: string, sub: string): string | null {
  try {
    const [version, kid, ivText, bodyText] = blob.split('.') as [string, string, string, string];
    const body = Buffer.from(bodyText, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', aesKey, Buffer.from(ivText, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(`${version}.${kid}.${sub}`, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    const clear = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
    const tokens = JSON.parse(clear.toString('utf8')) as { accessToken?: unknown };
    return typeof tokens.accessToken === 'string' ? tokens.accessToken : null;
  } catch {
    return null;
  }
}

const redis = createClient({ url: config.redisUrl });
redis.on('error', (err: Error) => process.stderr.write(`baseline: redis: ${err.message}\n`));

// --- downstream: one keep-alive pool per service, as the BFF -------------------------

const poolOptions = { connections: 32, pipelining: 1 };
const orders = new Pool(config.ordersUrl, poolOptions);
const catalog = new Pool(config.catalogUrl, poolOptions);
const reviews = new Pool(config.reviewsUrl, poolOptions);

async function getJson<T>(pool: Pool, path: string, headers: Record<string, string>): Promise<T> {
  const res = await pool.request({ method: 'GET', path, headers: { ...headers, accept: 'application/json' } });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`GET ${path} answered ${res.statusCode}`);
  }
  return (await res.body.json()) as T;
}

let serviceToken: { value: string; renewAt: number } | undefined;
let pendingToken: Promise<string> | undefined;
async function reviewsToken(): Promise<string> {
  if (serviceToken && Date.now() < serviceToken.renewAt) return serviceToken.value;
  pendingToken ??= (async () => {
    const basic = Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString('base64');
    const res = await fetch(config.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: config.reviewsScope }).toString(),
    });
    if (!res.ok) throw new Error(`client-credentials grant answered ${res.status}`);
    const t = (await res.json()) as { access_token: string; expires_in: number };
    serviceToken = { value: t.access_token, renewAt: Date.now() + Math.max(0, t.expires_in - 60) * 1000 };
    return t.access_token;
  })().finally(() => {
    pendingToken = undefined;
  });
  return pendingToken;
}

// --- the JSON of the dashboard query --------------------------------------------------

const formatters = new Map<string, Intl.NumberFormat>();
function formatted(cents: number, currency: string): string {
  const code = currency.toUpperCase();
  let f = formatters.get(code);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
    formatters.set(code, f);
  }
  return f.format(cents / 100);
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

async function dashboard(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const sid = sessionIdOf(req);
  const raw = sid ? await redis.get(`shop-bff:sess:${sid}`) : null;
  const session = raw ? (JSON.parse(raw) as { auth?: { sub: string; expiresAt: number; tokens: string } }) : null;
  const auth = session?.auth;
  const accessToken = auth && auth.expiresAt > Date.now() ? accessTokenOf(auth.tokens, auth.sub) : null;
  if (!auth || !accessToken) return send(res, 401, '{"errors":[{"message":"Sign in first."}]}');

  const { items: myOrders } = await getJson<{ items: OrderDTO[] }>(orders, '/me/orders?limit=20', {
    authorization: `Bearer ${accessToken}`,
  });
  const ids = [...new Set(myOrders.flatMap((o) => o.lines.map((l) => l.productId)))];
  const list = ids.map(encodeURIComponent).join(',');
  const [products, productReviews] = await Promise.all([
    ids.length ? getJson<{ items: ProductDTO[] }>(catalog, `/products?ids=${list}`, { 'x-api-key': config.catalogApiKey }) : { items: [] },
    ids.length
      ? reviewsToken().then((token) =>
          getJson<{ items: ProductReviewsDTO[] }>(reviews, `/reviews?productIds=${list}`, { authorization: `Bearer ${token}` }),
        )
      : { items: [] },
  ]);
  const productById = new Map(products.items.map((p) => [p.id, p]));
  const reviewsById = new Map(productReviews.items.map((r) => [r.productId, r]));

  const data = {
    me: {
      id: auth.sub,
      orders: myOrders.map((o) => ({
        id: o.id,
        total: { formatted: formatted(o.totalCents, o.currency) },
        lines: o.lines.map((l) => {
          const p = productById.get(l.productId);
          const r = reviewsById.get(l.productId);
          return {
            quantity: l.quantity,
            product: p
              ? {
                  name: p.name,
                  price: { formatted: formatted(p.priceCents, p.currency) },
                  rating: r && r.count > 0 ? { average: r.averageRating } : null,
                  reviews: r ? r.reviews.slice(0, 3).map((x) => ({ rating: x.rating })) : [],
                }
              : null,
          };
        }),
      })),
    },
  };
  send(res, 200, JSON.stringify({ data }));
}

const server = createServer((req, res) => {
  dashboard(req, res).catch((err: unknown) => {
    process.stderr.write(`baseline: ${(err as Error).message}\n`);
    if (!res.headersSent) send(res, 502, '{"errors":[{"message":"Downstream failed."}]}');
  });
});
server.keepAliveTimeout = 5000;

async function main(): Promise<void> {
  await redis.connect();
  await reviewsToken();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
}

const stop = () => {
  server.close();
  server.closeAllConnections();
  void Promise.allSettled([orders.close(), catalog.close(), reviews.close(), redis.quit()]).then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();

main().catch((err: unknown) => {
  process.stderr.write(`baseline failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
