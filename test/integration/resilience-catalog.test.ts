import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type Reply, reply } from '../support/fault-server.js';
import { type FaultStack, startFaultStack } from '../support/fault-stack.js';

/**
 * What a client sees of every way the catalog can fail, through GraphQL: a clear code,
 * the service and a retry hint, and nothing of the downstream's body, URL or headers.
 * Also: ids reach the catalog as one encoded query value each, and id lists are split
 * into calls of at most 100.
 */

/** Something only the downstream's answer contains: it must never reach a client. */
const MARKER = 'downstream-internal-detail-7f3a';

const product = (id: string) => ({ id, name: `Product ${id}`, priceCents: 100, currency: 'EUR', stock: 1 });

/** The raw ids value of a request target, split at the literal commas, each decoded. */
const idsOf = (url: string) => url.slice(url.indexOf('?ids=') + '?ids='.length).split(',').map(decodeURIComponent);

/** The catalog contract's answer for the ids asked. */
const products: Reply = (req, res, n) => reply.json({ items: idsOf(req.url).map(product) })(req, res, n);

/** Ids that would address something else if they were not encoded. */
const NASTY_IDS = ['a/b', '..', 'x?y=1', 'h#i', 'c,d', 'p&ids=evil', 'käse ☕', '😀', '%2F'];

let f: FaultStack<'catalog'>;
beforeAll(async () => {
  // One retry, so retryable failures show as two requests; a breaker that never opens
  // here, so each case starts from a closed circuit. The 3 s timeout is what a hung
  // service costs; a failure and its retry on loopback fit in it on the slowest machine.
  f = await startFaultStack(['catalog'], {
    env: { CATALOG_MAX_RETRIES: '1', CATALOG_TIMEOUT_MS: '3000', CATALOG_BREAKER_FAILURES: '1000' },
  });
});
beforeEach(() => f.reset());
afterAll(() => f?.close());

describe('each failure, as a client sees it', () => {
  it.each<[string, Reply, { retryable: boolean; requests: number }]>([
    ['a 500 with a body and headers', reply.error(500, 'INTERNAL', MARKER, {}, { 'x-internal': MARKER }), { retryable: true, requests: 2 }],
    ['a 503 whose Retry-After is too long to honour', reply.status(503, { 'retry-after': '30' }), { retryable: true, requests: 1 }],
    ['a reset connection', reply.reset(), { retryable: true, requests: 2 }],
    ['invalid JSON', reply.text(`{"items": ["${MARKER}"`, 'application/json'), { retryable: true, requests: 2 }],
    ['a wrong content type', reply.text(`<html>${MARKER}</html>`, 'text/html'), { retryable: true, requests: 2 }],
    ['a hung service', reply.hang(), { retryable: true, requests: 1 }],
    ['a 401 (our key refused)', reply.error(401, 'UNAUTHENTICATED', MARKER), { retryable: false, requests: 1 }],
    ['a 403 (our key not allowed)', reply.error(403, 'FORBIDDEN', MARKER), { retryable: false, requests: 1 }],
    ['a 404 from the batch endpoint (a wrong base URL)', reply.error(404, 'NOT_FOUND', MARKER), { retryable: false, requests: 1 }],
  ])('%s → null and DOWNSTREAM_UNAVAILABLE, nothing of the answer', async (_what, answer, expected) => {
    f.faults.catalog.on('GET', '/products', answer);
    const result = await f.stack.graphql(`{ product(id: "p1") { id name } }`);
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ product: null });
    expect(result.body.errors).toEqual([
      {
        message: 'The product catalog is unavailable right now.',
        path: ['product'],
        locations: expect.any(Array),
        extensions: { code: 'DOWNSTREAM_UNAVAILABLE', service: 'catalog', retryable: expected.retryable },
      },
    ]);
    expect(f.faults.catalog.requests).toHaveLength(expected.requests);
    const seen = `${result.text}\n${JSON.stringify([...result.headers])}`;
    expect(seen).not.toContain(MARKER);
    expect(seen).not.toContain(f.faults.catalog.url);
    expect(seen).not.toContain(`:${new URL(f.faults.catalog.url).port}`);
    expect(seen).not.toContain('/products');
  });

  it('warns about a refused key naming the service, never with the key', async () => {
    f.faults.catalog.on('GET', '/products', reply.error(403, 'FORBIDDEN', MARKER));
    const before = f.stack.logLines.length;
    await f.stack.graphql(`{ product(id: "p1") { id } }`);
    const lines = f.stack.logLines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, downstream: 'catalog', status: 403, msg: 'the catalog service refused the credential' }),
    );
    const key = f.faults.catalog.requests[0]!.headers['x-api-key'] as string;
    expect(key.length).toBeGreaterThan(8);
    expect(f.stack.logLines.join('\n')).not.toContain(key);
    expect(f.stack.logLines.join('\n')).not.toContain(MARKER);
  });

  it('passes a search 400 on as BAD_USER_INPUT with the field and the service’s own message only', async () => {
    f.faults.catalog.on('GET', '/products/search', reply.error(400, 'INVALID_CURSOR', 'The cursor is invalid.', { field: 'cursor' }, { 'x-internal': MARKER }));
    const result = await f.stack.graphql(`{ searchProducts(query: "cup", after: "bogus") { nodes { id } } }`);
    expect(result.body.errors).toEqual([
      expect.objectContaining({ message: 'The cursor is invalid.', extensions: { code: 'BAD_USER_INPUT', field: 'after' } }),
    ]);
    expect(result.text).not.toContain(MARKER);
  });

  it('answers an unknown id (absent from the batch answer) with null and no error', async () => {
    f.faults.catalog.on('GET', '/products', reply.json({ items: [] }));
    expect((await f.stack.graphql(`{ product(id: "gone") { id } }`)).body).toEqual({ data: { product: null } });
  });
});

describe('ids on the wire', () => {
  /** The ids a recorded request carried, after checking they form one query value. */
  const sentIds = (url: string) => {
    // One query value: no other parameter, no fragment, no second path segment.
    expect(url.slice(url.indexOf('?ids=') + 1)).not.toMatch(/[&#?/ ]/);
    return idsOf(url);
  };

  it.each(NASTY_IDS)('product(id: %j) reaches the catalog as one encoded value', async (id) => {
    f.faults.catalog.on('GET', '/products', products);
    const result = await f.stack.graphql(`query($id: ID!) { product(id: $id) { id } }`, { variables: { id } });
    expect(result.body).toEqual({ data: { product: { id } } });
    const [request] = f.faults.catalog.requests;
    expect(request!.path).toBe('/products');
    expect(sentIds(request!.url)).toEqual([id]);
  });

  it('products(ids) sends every id as its own value of one list, in one call', async () => {
    f.faults.catalog.on('GET', '/products', products);
    const result = await f.stack.graphql(`query($ids: [ID!]!) { products(ids: $ids) { id } }`, { variables: { ids: NASTY_IDS } });
    expect(result.body.data!.products.map((p: { id: string }) => p.id)).toEqual(NASTY_IDS);
    expect(f.faults.catalog.requests).toHaveLength(1);
    expect(sentIds(f.faults.catalog.requests[0]!.url).sort()).toEqual([...NASTY_IDS].sort());
  });

  it('splits the ids of one request into calls of at most 100', async () => {
    f.faults.catalog.on('GET', '/products', products);
    const ids = Array.from({ length: 150 }, (_, i) => `p${i}`);
    const result = await f.stack.graphql(`query($a: [ID!]!, $b: [ID!]!) { a: products(ids: $a) { id } b: products(ids: $b) { id } }`, {
      variables: { a: ids.slice(0, 100), b: ids.slice(100) },
    });
    expect(result.body.errors).toBeUndefined();
    expect([...result.body.data!.a, ...result.body.data!.b].map((p: { id: string }) => p.id)).toEqual(ids);
    const sizes = f.faults.catalog.requests.map((r) => sentIds(r.url).length).sort((x, y) => y - x);
    expect(sizes).toEqual([100, 50]);
  });

  it('refuses an id list over the cap with BAD_USER_INPUT and calls nothing', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `p${i}`);
    const result = await f.stack.graphql(`query($ids: [ID!]!) { products(ids: $ids) { id } }`, { variables: { ids } });
    expect(result.body.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'ids' });
    expect(f.faults.catalog.requests).toHaveLength(0);
  });
});

describe('a catalog key file the service refuses (not a rotation)', () => {
  /**
   * The wait for a new key, and the call's time that would bound it if the wait did not:
   * far enough apart that a loaded machine cannot blur them.
   */
  const WAIT_MS = 1500;
  const TIMEOUT_MS = 20_000;
  let g: FaultStack<'catalog'>;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bff-wrong-key-'));
    writeFileSync(join(dir, 'key'), 'catalog-key-nobody-accepts-0123');
    g = await startFaultStack(['catalog'], {
      env: { CATALOG_API_KEY_FILE: join(dir, 'key'), SECRET_ROTATION_WAIT_MS: String(WAIT_MS), CATALOG_TIMEOUT_MS: String(TIMEOUT_MS) },
    });
  });
  afterAll(async () => {
    await g?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits once, at most SECRET_ROTATION_WAIT_MS, for a new key; later calls fail at once', async () => {
    g.faults.catalog.on('GET', '/products', reply.error(401, 'UNAUTHENTICATED', 'bad key'));
    const first = Date.now();
    const a = await g.stack.graphql(`{ product(id: "p1") { id } }`);
    const firstTook = Date.now() - first;
    expect(a.body.errors![0]!.extensions).toEqual({ code: 'DOWNSTREAM_UNAVAILABLE', service: 'catalog', retryable: false });
    expect(firstTook).toBeGreaterThanOrEqual(WAIT_MS - 10);
    // A wait not bounded by SECRET_ROTATION_WAIT_MS would use what is left of the call's time.
    expect(firstTook).toBeLessThan(TIMEOUT_MS / 2);

    const second = Date.now();
    const b = await g.stack.graphql(`{ product(id: "p2") { id } }`);
    // At once: a call that waited again would take the whole wait, however fast the machine.
    expect(Date.now() - second).toBeLessThan(WAIT_MS);
    expect(b.body.errors![0]!.extensions!.code).toBe('DOWNSTREAM_UNAVAILABLE');
    // No retry without a new key: one request per call.
    expect(g.faults.catalog.requests).toHaveLength(2);
    expect(g.faults.catalog.answered(401)).toHaveLength(2);
  });
});
