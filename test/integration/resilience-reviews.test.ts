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

/**
 * How long the circuit stays open. The checks made while it is open are three GraphQL
 * calls that send nothing downstream: milliseconds each, under a third of a second at a
 * load average of 10 on 2 cores (measured), so only a hang could let the circuit go
 * half-open under them. (cockatiel's breaker reads the real clock: the test sleeps past it.)
 */
const RESET_MS = 3000;

describe('a flapping reviews service and the circuit breaker', () => {
  let f: FaultStack<'reviews'>;
  beforeAll(async () => {
    f = await startFaultStack(['reviews'], {
      env: { REVIEWS_MAX_RETRIES: '0', REVIEWS_BREAKER_FAILURES: '3', REVIEWS_BREAKER_RESET_MS: String(RESET_MS) },
    });
  });
  afterAll(() => f?.close());

  it('opens after repeated failures, sends nothing while open, and closes after a good half-open probe', async () => {
    const { stack, faults } = f;
    faults.reviews.on('GET', '/reviews', reply.status(500));
    for (let i = 0; i < 3; i++) expectReviewsUnavailable(await stack.graphql(QUERY));
    expect(faults.reviews.requests).toHaveLength(3);
    expect(stack.bff.app.clients.reviews.circuit).toBe('open');

    // Open: the field fails at once, with the same error, and nothing is sent (the
    // count, not a stopwatch, proves that no call waited for the service).
    for (let i = 0; i < 3; i++) {
      expectReviewsUnavailable(await stack.graphql(QUERY));
      expect(stack.bff.app.clients.reviews.circuit).toBe('open');
    }
    expect(faults.reviews.requests).toHaveLength(3);

    // Half-open: one probe; it fails, so the circuit opens again without another call.
    await sleep(RESET_MS + 50);
    expectReviewsUnavailable(await stack.graphql(QUERY));
    expect(faults.reviews.requests).toHaveLength(4);
    expectReviewsUnavailable(await stack.graphql(QUERY));
    expect(faults.reviews.requests).toHaveLength(4);

    // The service is back: the next probe succeeds and closes the circuit.
    faults.reviews.on('GET', '/reviews', reviews);
    await sleep(RESET_MS + 50);
    const healed = await stack.graphql(QUERY);
    expect(healed.body.errors).toBeUndefined();
    expect(healed.body.data!.product.rating).toEqual({ average: 4.5, count: 2 });
    expect(stack.bff.app.clients.reviews.circuit).toBe('closed');
    expect((await stack.graphql(QUERY)).body.errors).toBeUndefined();
    expect(faults.reviews.requests).toHaveLength(6);

    const logged = stack.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.level === 40 && String(l.msg).startsWith('circuit opened'))).toHaveLength(2);
    expect(logged.some((l) => l.downstream === 'reviews' && String(l.msg).startsWith('circuit closed'))).toBe(true);
  });
});

describe('time limits', () => {
  /**
   * A call may take 3 s in all; one attempt 1 s, so a stuck attempt is retried. The gaps
   * are wide so that a loaded machine cannot change the counts: an attempt ends at 1 s at
   * the earliest (a timer never fires early), and the retry still fits unless that timer
   * fires almost two seconds late; a 100 ms answer is 900 ms inside its attempt's time.
   */
  const TIMEOUT_MS = 3000;
  const ATTEMPT_MS = 1000;
  /** Would end a hang the timeouts missed: a call that reaches it is a bug, not a slow machine. */
  const BUDGET_MS = 20_000;
  let f: FaultStack<'reviews'>;
  beforeAll(async () => {
    f = await startFaultStack(['reviews'], {
      env: {
        REVIEWS_TIMEOUT_MS: String(TIMEOUT_MS),
        REVIEWS_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_MS),
        REVIEWS_MAX_RETRIES: '10',
        REVIEWS_BREAKER_FAILURES: '1000',
        GRAPHQL_REQUEST_BUDGET_MS: String(BUDGET_MS),
      },
    });
  });
  beforeEach(() => f.reset());
  afterAll(() => f?.close());

  it('a hung service costs at most its timeout, retries included', async () => {
    f.faults.reviews.on('GET', '/reviews', reply.hang());
    const [result, took] = await timed(() => f.stack.graphql(QUERY));
    expectReviewsUnavailable(result);
    expect(took).toBeGreaterThanOrEqual(2 * ATTEMPT_MS - 10);
    // Ended by the call's timeout, not by the request budget that would end a missed hang.
    expect(took).toBeLessThan(BUDGET_MS);
    // Three attempts of at least 1 s fill the 3 s; a fourth never starts (of the ten retries allowed).
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
  /**
   * Attempts of at least 300 ms (a timer never fires early) in a 1.5 s budget: at most
   * five fit, and a second one fits unless the first ends more than a second late.
   */
  const BUDGET_MS = 1500;
  const ATTEMPT_MS = 300;
  let f: FaultStack<'reviews'>;
  beforeAll(async () => {
    f = await startFaultStack(['reviews'], {
      env: {
        GRAPHQL_REQUEST_BUDGET_MS: String(BUDGET_MS),
        REVIEWS_TIMEOUT_MS: '30000',
        REVIEWS_MAX_RETRIES: '10',
        REVIEWS_BREAKER_FAILURES: '1000',
      },
    });
  });
  beforeEach(() => f.reset());
  afterAll(() => f?.close());

  it('stops retrying a slow, failing service at the budget', async () => {
    f.faults.reviews.on('GET', '/reviews', reply.slow(ATTEMPT_MS, reply.status(503)));
    const [result, took] = await timed(() => f.stack.graphql(QUERY));
    expectReviewsUnavailable(result);
    // Eleven attempts of 300 ms would take 3.3 s at the least, however fast the machine;
    // the budget leaves room for a few (how many depends on the jittered backoff).
    expect(took).toBeLessThan(11 * ATTEMPT_MS);
    expect(f.faults.reviews.requests.length).toBeGreaterThanOrEqual(2);
    expect(f.faults.reviews.requests.length).toBeLessThanOrEqual(5);
  });

  it('does not wait for a Retry-After that ends after the budget', async () => {
    // 2 s: honoured by the client (at most maxRetryAfterMs), but past the 1.5 s budget.
    f.faults.reviews.on('GET', '/reviews', reply.sequence(reply.status(503, { 'retry-after': '2' }), reviews));
    const [result, took] = await timed(() => f.stack.graphql(QUERY));
    expectReviewsUnavailable(result);
    // Waiting for the Retry-After would take 2 s at the least, however fast the machine.
    expect(took).toBeLessThan(2000);
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
