import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type Reply, reply } from '../support/fault-server.js';
import { type FaultStack, startFaultStack } from '../support/fault-stack.js';
import type { GraphQLResult } from '../support/stack.js';

/**
 * Retry, time limits and the circuit breaker seen through GraphQL: a fault server stands
 * in for the reviews service behind the real BFF (catalog and the rest are the demo
 * services). Counts come from what the fault server received.
 */

const QUERY = `{ product(id: "p1") { id name price { amount } rating { average count } } }`;

/** The reviews contract's answer for the product ids asked. */
const reviews: Reply = (req, res, n) =>
  reply.json({
    items: req.query
      .get('productIds')!
      .split(',')
      .map((productId) => ({ productId, averageRating: 4.5, count: 2, reviews: [] })),
  })(req, res, n);

/** The product is always complete; only the rating depends on reviews. */
function expectProduct(result: GraphQLResult) {
  expect(result.status).toBe(200);
  expect(result.body.data!.product).toMatchObject({ id: 'p1', name: expect.any(String), price: { amount: expect.any(Number) } });
}

function expectReviewsUnavailable(result: GraphQLResult, retryable = true) {
  expectProduct(result);
  expect(result.body.data!.product.rating).toBeNull();
  expect(result.body.errors).toEqual([
    {
      message: 'Reviews are unavailable right now.',
      path: ['product', 'rating'],
      locations: expect.any(Array),
      extensions: { code: 'DOWNSTREAM_UNAVAILABLE', service: 'reviews', retryable },
    },
  ]);
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await run();
  return [result, Date.now() - started];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a flapping reviews service and the circuit breaker', () => {
  let f: FaultStack<'reviews'>;
  beforeAll(async () => {
    f = await startFaultStack(['reviews'], {
      env: { REVIEWS_MAX_RETRIES: '0', REVIEWS_BREAKER_FAILURES: '3', REVIEWS_BREAKER_RESET_MS: '300' },
    });
  });
  afterAll(() => f?.close());

  it('opens after repeated failures, sends nothing while open, and closes after a good half-open probe', async () => {
    const { stack, faults } = f;
    faults.reviews.on('GET', '/reviews', reply.status(500));
    for (let i = 0; i < 3; i++) expectReviewsUnavailable(await stack.graphql(QUERY));
    expect(faults.reviews.requests).toHaveLength(3);
    expect(stack.bff.app.clients.reviews.circuit).toBe('open');

    // Open: the field fails at once, with the same error, and nothing is sent.
    for (let i = 0; i < 3; i++) {
      const [result, took] = await timed(() => stack.graphql(QUERY));
      expectReviewsUnavailable(result);
      expect(took).toBeLessThan(150);
    }
    expect(faults.reviews.requests).toHaveLength(3);

    // Half-open: one probe; it fails, so the circuit opens again without another call.
    await sleep(350);
    expectReviewsUnavailable(await stack.graphql(QUERY));
    expect(faults.reviews.requests).toHaveLength(4);
    expectReviewsUnavailable(await stack.graphql(QUERY));
    expect(faults.reviews.requests).toHaveLength(4);

    // The service is back: the next probe succeeds and closes the circuit.
    faults.reviews.on('GET', '/reviews', reviews);
    await sleep(350);
    const healed = await stack.graphql(QUERY);
    expect(healed.body.errors).toBeUndefined();
    expect(healed.body.data!.product.rating).toEqual({ average: 4.5, count: 2 });
    expect(stack.bff.app.clients.reviews.circuit).toBe('closed');
    expect((await stack.graphql(QUERY)).body.errors).toBeUndefined();
    expect(faults.reviews.requests).toHaveLength(6);

    const logged = stack.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.level === 40 && String(l.msg).startsWith('circuit opened'))).toHaveLength(2);
    expect(logged.some((l) => l.service === 'reviews' && String(l.msg).startsWith('circuit closed'))).toBe(true);
  });
});

describe('time limits', () => {
  let f: FaultStack<'reviews'>;
  beforeAll(async () => {
    // A call may take 400 ms in all; one attempt 150 ms, so a stuck attempt is retried.
    f = await startFaultStack(['reviews'], {
      env: { REVIEWS_TIMEOUT_MS: '400', REVIEWS_ATTEMPT_TIMEOUT_MS: '150', REVIEWS_BREAKER_FAILURES: '1000' },
    });
  });
  beforeEach(() => f.reset());
  afterAll(() => f?.close());

  it('a hung service costs at most its timeout, retries included', async () => {
    f.faults.reviews.on('GET', '/reviews', reply.hang());
    const [result, took] = await timed(() => f.stack.graphql(QUERY));
    expectReviewsUnavailable(result);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(700);
    // Two attempts of 150 ms fit in the 400 ms; a third does not start.
    expect(f.faults.reviews.requests.length).toBeGreaterThanOrEqual(2);
    expect(f.faults.reviews.requests.length).toBeLessThanOrEqual(3);
  });

  it('waits for a slow service that answers within its timeout, without a retry', async () => {
    f.faults.reviews.on('GET', '/reviews', reply.slow(100, reviews));
    const [result, took] = await timed(() => f.stack.graphql(QUERY));
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data!.product.rating.average).toBe(4.5);
    expect(took).toBeGreaterThanOrEqual(95);
    expect(f.faults.reviews.requests).toHaveLength(1);
  });

  it('retries an attempt that hung, within the same call', async () => {
    f.faults.reviews.on('GET', '/reviews', reply.sequence(reply.hang(), reviews));
    const result = await f.stack.graphql(QUERY);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data!.product.rating.average).toBe(4.5);
    expect(f.faults.reviews.requests).toHaveLength(2);
  });
});

describe('the request budget (GRAPHQL_REQUEST_BUDGET_MS)', () => {
  let f: FaultStack<'reviews'>;
  beforeAll(async () => {
    f = await startFaultStack(['reviews'], {
      env: { GRAPHQL_REQUEST_BUDGET_MS: '600', REVIEWS_TIMEOUT_MS: '5000', REVIEWS_MAX_RETRIES: '10', REVIEWS_BREAKER_FAILURES: '1000' },
    });
  });
  beforeEach(() => f.reset());
  afterAll(() => f?.close());

  it('stops retrying a slow, failing service at the budget', async () => {
    f.faults.reviews.on('GET', '/reviews', reply.slow(100, reply.status(503)));
    const [result, took] = await timed(() => f.stack.graphql(QUERY));
    expectReviewsUnavailable(result);
    // Eleven attempts of 100 ms plus their backoffs would take two seconds; the budget
    // leaves room for a few (how many depends on the jittered backoff).
    expect(took).toBeLessThan(1000);
    expect(f.faults.reviews.requests.length).toBeGreaterThanOrEqual(2);
    expect(f.faults.reviews.requests.length).toBeLessThanOrEqual(5);
  });

  it('does not wait for a Retry-After that ends after the budget', async () => {
    f.faults.reviews.on('GET', '/reviews', reply.sequence(reply.status(503, { 'retry-after': '1' }), reviews));
    const [result, took] = await timed(() => f.stack.graphql(QUERY));
    expectReviewsUnavailable(result);
    expect(took).toBeLessThan(500);
    expect(f.faults.reviews.requests).toHaveLength(1);
  });
});

describe('retries', () => {
  let f: FaultStack<'reviews'>;
  beforeAll(async () => {
    f = await startFaultStack(['reviews'], { env: { REVIEWS_BREAKER_FAILURES: '1000' } });
  });
  beforeEach(() => f.reset());
  afterAll(() => f?.close());

  it('honours a 503 Retry-After, then answers', async () => {
    f.faults.reviews.on('GET', '/reviews', reply.sequence(reply.status(503, { 'retry-after': '1' }), reviews));
    const result = await f.stack.graphql(QUERY);
    expect(result.body.errors).toBeUndefined();
    const [first, second] = f.faults.reviews.requests;
    expect(f.faults.reviews.requests).toHaveLength(2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it.each([
    ['a reset connection', reply.reset()],
    ['a 500', reply.status(500)],
    ['a 429', reply.status(429)],
    ['invalid JSON', reply.invalidJson()],
    ['a wrong content type', reply.text('<html>busy</html>')],
  ])('retries after %s, then answers', async (_what, first) => {
    f.faults.reviews.on('GET', '/reviews', reply.sequence(first, reviews));
    const result = await f.stack.graphql(QUERY);
    expect(result.body.errors).toBeUndefined();
    expect(f.faults.reviews.requests).toHaveLength(2);
  });

  it('gives up after two retries', async () => {
    f.faults.reviews.on('GET', '/reviews', reply.status(502));
    expectReviewsUnavailable(await f.stack.graphql(QUERY));
    expect(f.faults.reviews.requests).toHaveLength(3);
  });

  // (A 401 is not retried either, but renews the token once: see rotation-reviews-token.test.ts.)
  it.each([400, 403, 404, 409, 422])('never retries a %i', async (status) => {
    f.faults.reviews.on('GET', '/reviews', reply.error(status, 'NO', 'no'));
    await f.stack.graphql(QUERY);
    expect(f.faults.reviews.requests).toHaveLength(1);
  });
});
