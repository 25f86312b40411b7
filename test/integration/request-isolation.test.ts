import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type Reply, reply } from '../support/fault-server.js';
import { type FaultStack, startFaultStack } from '../support/fault-stack.js';

/**
 * One request must not hurt another user: a request has a bound on its downstream calls
 * (GRAPHQL_MAX_DOWNSTREAM_CALLS), past which the remaining fields fail with
 * DOWNSTREAM_CALL_LIMIT while the rest is delivered; and what the BFF refuses or cuts
 * short itself (that bound, the request's budget) never opens the service's circuit,
 * which here opens after ONE counted failure. The catalog is a scriptable server that
 * records what it received.
 */

const product = (id: string) => ({ id, name: `Product ${id}`, priceCents: 100, currency: 'EUR', stock: 1 });

/** The catalog's search: one product named after the query; `q=hang` never answers. */
const search: Reply = (req, res, n) => {
  const q = req.query.get('q') ?? '';
  if (q === 'hang') return;
  return reply.json({ items: [product(`p-${q}`)], nextCursor: null })(req, res, n);
};
const products: Reply = (req, res, n) => reply.json({ items: (req.query.get('ids') ?? '').split(',').map(product) })(req, res, n);

const CALL_LIMIT = 3;
/**
 * Every request of this suite runs under it: short enough that the hung call costs two
 * seconds, long enough that a loaded machine serves every other request well inside it.
 */
const BUDGET_MS = 2000;

let f: FaultStack<'catalog'>;
beforeAll(async () => {
  f = await startFaultStack(['catalog'], {
    env: {
      GRAPHQL_MAX_DOWNSTREAM_CALLS: String(CALL_LIMIT),
      // The request's budget is shortish; the catalog's own timeout only a real hang reaches.
      GRAPHQL_REQUEST_BUDGET_MS: String(BUDGET_MS),
      CATALOG_TIMEOUT_MS: '60000',
      CATALOG_MAX_RETRIES: '2',
      CATALOG_BREAKER_FAILURES: '1',
      CATALOG_BREAKER_RESET_MS: '60000',
      DOWNSTREAM_CACHE_MAX_ENTRIES: '0',
    },
  });
});
beforeEach(() => {
  f.reset();
  f.faults.catalog.on('GET', '/products/search', search);
  f.faults.catalog.on('GET', '/products', products);
});
afterAll(() => f?.close());

/** An unrelated user's product page: must still work (the circuit stayed closed). */
async function expectCatalogStillServes(): Promise<void> {
  expect(f.stack.bff.app.clients.catalog.circuit).toBe('closed');
  const before = f.faults.catalog.requestsTo('GET', '/products').length;
  const other = await f.stack.graphql('{ product(id: "p1") { id name } }');
  expect(other.body).toEqual({ data: { product: { id: 'p1', name: 'Product p1' } } });
  expect(f.faults.catalog.requestsTo('GET', '/products')).toHaveLength(before + 1);
}

describe('GRAPHQL_MAX_DOWNSTREAM_CALLS', () => {
  const fiveSearches = `{ ${[0, 1, 2, 3, 4].map((i) => `s${i}: searchProducts(query: "q${i}") { nodes { id } }`).join(' ')} }`;

  it('delivers what fit and DOWNSTREAM_CALL_LIMIT for the rest, with exactly the bound’s calls made', async () => {
    const result = await f.stack.graphql(fiveSearches);
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({
      s0: { nodes: [{ id: 'p-q0' }] },
      s1: { nodes: [{ id: 'p-q1' }] },
      s2: { nodes: [{ id: 'p-q2' }] },
      s3: null,
      s4: null,
    });
    const limitError = (alias: string) => ({
      message: `This request reached its limit of ${CALL_LIMIT} downstream calls (GRAPHQL_MAX_DOWNSTREAM_CALLS); ask for fewer fields or split the operation.`,
      path: [alias],
      locations: expect.any(Array),
      extensions: { code: 'DOWNSTREAM_CALL_LIMIT', service: 'catalog', retryable: false },
    });
    expect(result.body.errors).toEqual([limitError('s3'), limitError('s4')]);
    expect(f.faults.catalog.requests.map((r) => r.query.get('q'))).toEqual(['q0', 'q1', 'q2']);
  });

  it('counts per request: the next request gets its own bound', async () => {
    await f.stack.graphql(fiveSearches);
    const second = await f.stack.graphql(fiveSearches);
    expect(Object.values(second.body.data!).filter((v) => v !== null)).toHaveLength(CALL_LIMIT);
    expect(f.faults.catalog.requests).toHaveLength(2 * CALL_LIMIT);
  });

  it('never opens the circuit', async () => {
    for (let i = 0; i < 3; i++) await f.stack.graphql(fiveSearches);
    await expectCatalogStillServes();
  });
});

describe('GRAPHQL_REQUEST_BUDGET_MS', () => {
  it('a call cut short by the request’s budget fails that field only and never opens the circuit', async () => {
    const result = await f.stack.graphql('{ hung: searchProducts(query: "hang") { nodes { id } } }');
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ hung: null });
    expect(result.body.errors!.map((e) => e.extensions)).toEqual([{ code: 'DOWNSTREAM_UNAVAILABLE', service: 'catalog', retryable: true }]);
    // Not retried: the request has no time left for another attempt.
    expect(f.faults.catalog.requestsTo('GET', '/products/search')).toHaveLength(1);
    await expectCatalogStillServes();
  });
});
