import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import type { CookieJar } from 'tough-cookie';
import { loadConfig } from '../../src/config/index.js';
import { LIST_SIZES, operationCost } from '../../src/graphql/limits/index.js';
import { createSchema } from '../../src/graphql/schema.js';
import { type GraphQLResult, type Stack, startStack } from '../support/stack.js';

/**
 * The tester's finding, pinned: one anonymous client sending the worst operation the
 * limits still allow, as fast as it can, must not make a signed-in user's dashboard
 * fail. Bounded by count (N requests, K in flight), not by time; the request budget and
 * the downstream timeouts are ones only a real hang reaches, so nothing depends on how
 * fast the machine is.
 */

const ATTACKS = 20;
const IN_FLIGHT = 4;
const DASHBOARDS = 5;

const { maxAliases, maxCost, maxDownstreamCalls } = loadConfig({}).operationLimits;
const schema = createSchema();

/** `aliases` searches of the largest page, each product with `reviews` reviews. */
const greedy = (aliases: number, reviews: number) =>
  `{ ${Array.from(
    { length: aliases },
    (_, i) => `s${i}: searchProducts(query: "e", first: ${LIST_SIZES['Query.searchProducts'].max}) { nodes { id reviews(first: ${reviews}) { rating } } }`,
  ).join(' ')} }`;

/** As many aliases as allowed, then as many reviews per product as the cost still allows. */
function worstAllowed(): { query: string; cost: number } {
  let best: { query: string; cost: number } | undefined;
  for (let reviews = 0; reviews <= LIST_SIZES['Product.reviews'].max; reviews++) {
    const query = greedy(maxAliases, reviews);
    const cost = operationCost(schema, parse(query))!;
    if (cost > maxCost) break;
    best = { query, cost };
  }
  if (!best) throw new Error('no greedy operation fits the cost');
  return best;
}

const DASHBOARD = `{ me { id orders(first: 20) { id total { formatted } lines { quantity product { name price { formatted } rating { average } reviews { rating } } } } } }`;

let stack: Stack;
let alice: CookieJar;

beforeAll(async () => {
  stack = await startStack({
    env: {
      GRAPHQL_REQUEST_BUDGET_MS: '120000',
      DOWNSTREAM_TIMEOUT_MS: '60000',
      // Every request goes all the way down: the worst case for the services.
      DOWNSTREAM_CACHE_MAX_ENTRIES: '0',
    },
  });
  alice = await stack.login('alice');
});
afterAll(() => stack?.close());

describe('a greedy anonymous client next to a signed-in user', () => {
  it('the worst operation the limits allow is just under the cost bound, with the most aliases', () => {
    const { cost } = worstAllowed();
    expect(cost).toBeLessThanOrEqual(maxCost);
    // One more review per product would be over: it is the worst that still runs.
    expect(cost).toBeGreaterThan(maxCost * 0.8);
  });

  it("alice's dashboard succeeds every time while the greedy client runs", async () => {
    const { query } = worstAllowed();
    let started = 0;
    const attacks: GraphQLResult[] = [];
    const attacker = async () => {
      while (started < ATTACKS) {
        started += 1;
        attacks.push(await stack.graphql(query));
      }
    };
    const dashboards: GraphQLResult[] = [];
    const user = async () => {
      for (let i = 0; i < DASHBOARDS; i++) {
        // Paced by the attack's progress: each dashboard goes out with the attack under way.
        while (started < Math.min(ATTACKS, IN_FLIGHT + i * 3)) await new Promise((r) => setImmediate(r));
        dashboards.push(await stack.graphql(DASHBOARD, { jar: alice }));
      }
    };
    await Promise.all([...Array.from({ length: IN_FLIGHT }, attacker), user()]);

    expect(dashboards).toHaveLength(DASHBOARDS);
    for (const d of dashboards) {
      expect(d.status).toBe(200);
      expect(d.body.errors).toBeUndefined();
      expect(d.body.data!.me.orders.length).toBeGreaterThan(0);
    }
    // The greedy operation is within every limit: it ran too, in full.
    expect(attacks).toHaveLength(ATTACKS);
    for (const a of attacks) {
      expect(a.status).toBe(200);
      expect(a.body.errors).toBeUndefined();
    }
    for (const service of ['catalog', 'reviews', 'orders'] as const) expect(stack.bff.app.clients[service].circuit).toBe('closed');
    // Each greedy request stayed within its call bound: 15 searches plus their reviews.
    expect(stack.recorder.forService('catalog').length).toBeLessThanOrEqual(ATTACKS * maxAliases + DASHBOARDS);
    expect(stack.recorder.all.length).toBeLessThanOrEqual((ATTACKS + DASHBOARDS) * maxDownstreamCalls);
  });
});
