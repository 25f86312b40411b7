import { describe, expect, it } from '@jest/globals';
import type { Credential } from '../../src/downstream/credential.js';
import { ServiceHttp } from '../../src/downstream/http/service-http.js';
import { staticSecret } from '../../src/secrets/index.js';
import { CatalogClient } from '../../src/services/catalog/client.js';
import { OrdersClient } from '../../src/services/orders/client.js';
import { recordingLogger, reply, type Reply, useFaultServer } from '../support/fault-server.js';

/**
 * The shared HTTP cache of catalog and reviews: it follows what the service declares,
 * revalidates with validators, stays bounded, and never serves or stores a call made
 * with a user's credential.
 */

const faults = useFaultServer();

async function catalog(cache: ConstructorParameters<typeof CatalogClient>[0]['cache'] = {}) {
  const { logger } = recordingLogger();
  const client = new CatalogClient({ baseUrl: faults.server.url, timeoutMs: 30_000, apiKey: staticSecret('key', 'test'), logger, cache });
  faults.track(client);
  return client;
}

const product = (id: string, name = id) => ({ id, name, priceCents: 1, currency: 'EUR', stock: 1 });

/** Products for the ids asked, with the given response headers. */
const products =
  (headers: Record<string, string>, name?: string): Reply =>
  (req, res, n) =>
    reply.json({ items: req.query.get('ids')!.split(',').map((id) => product(id, name)) }, 200, headers)(req, res, n);

describe('fresh answers', () => {
  it('answers a repeated GET from the cache while the service says it is fresh', async () => {
    faults.server.on('GET', '/products', products({ 'cache-control': 'public, max-age=60' }));
    const client = await catalog();
    const first = await client.getProducts(['p1', 'p2']);
    const second = await client.getProducts(['p1', 'p2']);
    expect(second).toEqual(first);
    expect(faults.server.requests).toHaveLength(1);
  });

  it('gives every caller its own objects', async () => {
    faults.server.on('GET', '/products', products({ 'cache-control': 'max-age=60' }));
    const client = await catalog();
    const first = await client.getProducts(['p1']);
    first[0]!.name = 'changed by a careless resolver';
    first.pop();
    expect(await client.getProducts(['p1'])).toEqual([product('p1')]);
  });

  it('keys by path and query: other ids are another entry', async () => {
    faults.server.on('GET', '/products', products({ 'cache-control': 'max-age=60' }));
    const client = await catalog();
    await client.getProducts(['p1']);
    expect(await client.getProducts(['p2'])).toEqual([product('p2')]);
    expect(faults.server.requests).toHaveLength(2);
  });

  it.each([
    ['no caching headers', {}],
    ['no-store', { 'cache-control': 'no-store, max-age=60' }],
    ['private', { 'cache-control': 'private, max-age=60' }],
    ['max-age=0 without a validator', { 'cache-control': 'max-age=0' }],
    ['only Last-Modified (no heuristic freshness)', { 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' }],
  ])('asks the service every time with %s', async (_what, headers) => {
    faults.server.on('GET', '/products', products(headers));
    const client = await catalog();
    await client.getProducts(['p1']);
    await client.getProducts(['p1']);
    expect(faults.server.requests).toHaveLength(2);
    expect(faults.server.requests[1]!.headers['if-none-match']).toBeUndefined();
  });

  it('can be turned off', async () => {
    faults.server.on('GET', '/products', products({ 'cache-control': 'max-age=60' }));
    const client = await catalog(false);
    await client.getProducts(['p1']);
    await client.getProducts(['p1']);
    expect(faults.server.requests).toHaveLength(2);
  });

  it('stays within maxEntries', async () => {
    faults.server.on('GET', '/products', products({ 'cache-control': 'max-age=60' }));
    const { logger } = recordingLogger();
    const http = new ServiceHttp({ service: 'catalog', baseUrl: faults.server.url, timeoutMs: 30_000, logger, cache: { maxEntries: 2 } });
    faults.track(http);
    for (const id of ['a', 'b', 'c']) await http.request({ method: 'GET', path: `/products?ids=${id}` });
    expect(http.cachedAnswers).toBe(2);
    // The least recently used ("a") went first.
    await http.request({ method: 'GET', path: '/products?ids=a' });
    expect(faults.server.requests).toHaveLength(4);
  });
});

describe('revalidation', () => {
  it('revalidates a stale answer with If-None-Match and reuses it on 304', async () => {
    faults.server.on(
      'GET',
      '/products',
      reply.sequence(
        products({ 'cache-control': 'no-cache', etag: '"v1"' }, 'first'),
        reply.status(304, { etag: '"v1"', 'cache-control': 'no-cache' }),
        products({ 'cache-control': 'no-cache', etag: '"v2"' }, 'second'),
      ),
    );
    const client = await catalog();
    expect(await client.getProducts(['p1'])).toEqual([product('p1', 'first')]);
    expect(await client.getProducts(['p1'])).toEqual([product('p1', 'first')]);
    expect(await client.getProducts(['p1'])).toEqual([product('p1', 'second')]);
    expect(faults.server.requests.map((r) => r.headers['if-none-match'])).toEqual([undefined, '"v1"', '"v1"']);
    // Conditional requests still carry the service's credential.
    expect(faults.server.requests.every((r) => r.headers['x-api-key'] === 'key')).toBe(true);
  });

  it('revalidates with If-Modified-Since when there is only Last-Modified', async () => {
    const lastModified = 'Mon, 01 Jan 2024 00:00:00 GMT';
    faults.server.on(
      'GET',
      '/products',
      reply.sequence(
        products({ 'cache-control': 'max-age=0', 'last-modified': lastModified }),
        reply.status(304, { 'last-modified': lastModified }),
      ),
    );
    const client = await catalog();
    await client.getProducts(['p1']);
    expect(await client.getProducts(['p1'])).toEqual([product('p1')]);
    expect(faults.server.requests[1]!.headers['if-modified-since']).toBe(lastModified);
  });

  it('fetches again when a 304 does not match what is stored', async () => {
    faults.server.on(
      'GET',
      '/products',
      reply.sequence(
        products({ 'cache-control': 'no-cache', etag: '"v1"' }, 'first'),
        reply.status(304, { etag: '"other"' }),
        products({ 'cache-control': 'no-cache', etag: '"v3"' }, 'third'),
      ),
    );
    const client = await catalog();
    await client.getProducts(['p1']);
    expect(await client.getProducts(['p1'])).toEqual([product('p1', 'third')]);
    expect(faults.server.requests.map((r) => r.headers['if-none-match'])).toEqual([undefined, '"v1"', undefined]);
  });
});

describe('never for a user', () => {
  const user: Credential = { headers: async () => ({ authorization: 'Bearer user-token' }), renew: async () => false };

  it('neither reads nor fills the cache for a call with its own (user) credential', async () => {
    faults.server.on('GET', '/things', reply.json({ mine: true }, 200, { 'cache-control': 'public, max-age=60', etag: '"u"' }));
    const { logger } = recordingLogger();
    const http = new ServiceHttp({ service: 'catalog', baseUrl: faults.server.url, timeoutMs: 30_000, logger, cache: {} });
    faults.track(http);
    await http.request({ method: 'GET', path: '/things', credential: user });
    await http.request({ method: 'GET', path: '/things', credential: user });
    expect(http.cachedAnswers).toBe(0);
    expect(faults.server.requests).toHaveLength(2);
    expect(faults.server.requests[1]!.headers['if-none-match']).toBeUndefined();
    // Filled by the service's own credential, it is still not served to a user's call.
    await http.request({ method: 'GET', path: '/things' });
    expect(http.cachedAnswers).toBe(1);
    await http.request({ method: 'GET', path: '/things', credential: user });
    expect(faults.server.requests).toHaveLength(4);
  });

  it('orders (user tokens) has no cache at all', async () => {
    faults.server.on('GET', '/me/orders', reply.json({ items: [] }, 200, { 'cache-control': 'public, max-age=60' }));
    const { logger } = recordingLogger();
    const orders = new OrdersClient({ baseUrl: faults.server.url, timeoutMs: 30_000, logger });
    faults.track(orders);
    await orders.myOrders(user, 5);
    await orders.myOrders(user, 5);
    expect(faults.server.requests).toHaveLength(2);
  });
});
