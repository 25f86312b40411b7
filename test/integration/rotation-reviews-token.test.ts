import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Reply, reply } from '../support/fault-server.js';
import { type FaultStack, startFaultStack } from '../support/fault-stack.js';

/**
 * The client-credentials token for reviews, through GraphQL: fetched once for all
 * concurrent requests, reused, and fetched again (once) when the reviews service starts
 * refusing it. A fault server stands in for reviews and refuses the tokens a test
 * revokes; the real dev IdP issues them and counts the grants.
 */

const QUERY = `{ product(id: "p1") { id rating { average } } }`;
/** The client's own guard: a token younger than this is not replaced (minRenewIntervalMs). */
const MIN_RENEW_INTERVAL_MS = 1000;

const bearer = (h: string | string[] | undefined) => String(h).replace(/^Bearer /, '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let f: FaultStack<'reviews'>;
let grants = 0;
const revoked = new Set<string>();

/** Reviews for the ids asked, unless the token is revoked. */
const reviews: Reply = (req, res, n) => {
  if (revoked.has(bearer(req.headers.authorization))) return reply.error(401, 'UNAUTHENTICATED', 'token revoked')(req, res, n);
  const items = req.query.get('productIds')!.split(',').map((productId) => ({ productId, averageRating: 3, count: 1, reviews: [] }));
  return reply.json({ items })(req, res, n);
};

const concurrently = (n: number) => Promise.all(Array.from({ length: n }, () => f.stack.graphql(QUERY)));
const tokensSent = () => [...new Set(f.faults.reviews.requests.map((r) => bearer(r.headers.authorization)))];

beforeAll(async () => {
  // No shared cache, so every query calls reviews with the token.
  f = await startFaultStack(['reviews'], { env: { DOWNSTREAM_CACHE_MAX_ENTRIES: '0' } });
  f.stack.idp.provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params?.grant_type === 'client_credentials') grants++;
  });
  f.faults.reviews.on('GET', '/reviews', reviews);
});
afterAll(() => f?.close());

describe('the client-credentials token for reviews', () => {
  let firstFetchedAt = 0;

  it('is fetched once for ten concurrent requests', async () => {
    const results = await concurrently(10);
    firstFetchedAt = Date.now();
    for (const r of results) expect(r.body).toEqual({ data: { product: { id: 'p1', rating: { average: 3 } } } });
    expect(grants).toBe(1);
    expect(f.faults.reviews.requests).toHaveLength(10);
    expect(tokensSent()).toHaveLength(1);
  });

  it('is reused by later requests', async () => {
    for (let i = 0; i < 3; i++) expect((await f.stack.graphql(QUERY)).body.errors).toBeUndefined();
    expect(grants).toBe(1);
    expect(tokensSent()).toHaveLength(1);
  });

  it('is fetched again, once, when the service refuses it, and no request fails', async () => {
    const [old] = tokensSent();
    revoked.add(old!);
    await sleep(Math.max(0, firstFetchedAt + MIN_RENEW_INTERVAL_MS + 50 - Date.now()));
    f.reset();
    f.faults.reviews.on('GET', '/reviews', reviews);

    const results = await concurrently(10);
    for (const r of results) expect(r.body.errors).toBeUndefined();
    expect(grants).toBe(2);
    // Every request was refused with the old token, then answered with the one new token.
    const refused = f.faults.reviews.answered(401);
    const answered = f.faults.reviews.answered(200);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((r) => bearer(r.headers.authorization)))).toEqual(new Set([old]));
    expect(answered).toHaveLength(10);
    const fresh = new Set(answered.map((r) => bearer(r.headers.authorization)));
    expect(fresh.size).toBe(1);
    expect(fresh.has(old!)).toBe(false);
  });

  it('gives up after a second 401: DOWNSTREAM_UNAVAILABLE, not retryable, with a warning', async () => {
    const [current] = new Set(f.faults.reviews.answered(200).map((r) => bearer(r.headers.authorization)));
    revoked.add(current!);
    // Every token from now on is refused too.
    f.reset();
    f.faults.reviews.on('GET', '/reviews', reply.error(401, 'UNAUTHENTICATED', 'no token is good'));
    await sleep(MIN_RENEW_INTERVAL_MS + 50);
    const result = await f.stack.graphql(QUERY);
    expect(result.body.data!.product).toEqual({ id: 'p1', rating: null });
    expect(result.body.errors![0]!.extensions).toEqual({ code: 'DOWNSTREAM_UNAVAILABLE', service: 'reviews', retryable: false });
    expect(f.faults.reviews.answered(401)).toHaveLength(2);
    expect(grants).toBe(3);
    expect(f.stack.logLines.some((l) => l.includes('"downstream":"reviews"') && l.includes('refused the credential'))).toBe(true);
  });
});
