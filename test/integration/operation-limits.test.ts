import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery } from 'graphql';
import type { CookieJar } from 'tough-cookie';
import { type GraphQLResult, type Stack, startStack } from '../support/stack.js';

/**
 * The limits of the clients' contract with their defaults, over real HTTP: every
 * refused operation gets 400 and ONE error whose code is GRAPHQL_VALIDATION_FAILED (or
 * GRAPHQL_PARSE_FAILED for tokens) and whose message names the limit and its bound, and
 * no downstream service hears of it. Just under each bound the operation runs. The list
 * arguments' maxima are checked just past and at the bound, and the operations the
 * clients send pass.
 */

let stack: Stack;
let alice: CookieJar;

beforeAll(async () => {
  // Cache off, so the calls an operation makes are counted from a cold start.
  stack = await startStack({ env: { DOWNSTREAM_CACHE_MAX_ENTRIES: '0' } });
  alice = await stack.login('alice');
});
afterAll(() => stack?.close());
beforeEach(() => stack.recorder.clear());

/** One error, 400, the code and a message with each of `words`; nothing reached a service. */
function expectRefused(result: GraphQLResult, code: string, ...words: string[]): void {
  expect(result.status).toBe(400);
  expect(result.body.data).toBeUndefined();
  expect(result.body.errors).toHaveLength(1);
  const [error] = result.body.errors!;
  expect(error!.extensions).toEqual({ code });
  for (const word of words) expect(error!.message).toContain(word);
  expect(stack.recorder.all).toEqual([]);
}

function expectRan(result: GraphQLResult): void {
  expect(result.status).toBe(200);
  expect(result.body.errors).toBeUndefined();
  expect(result.body.data).toBeTruthy();
}

const repeat = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' ');

/** `__type` counts like any field for GRAPHQL_MAX_DEPTH: `depth` levels in all. */
const typeDepth = (depth: number) => `{ __type(name: "Product") { fields { type { ${'ofType { '.repeat(depth - 4)}name${' }'.repeat(depth - 4)} } } } }`;

describe('GRAPHQL_MAX_DEPTH (10, fragments expanded)', () => {
  it('refuses depth 11 and runs depth 10', async () => {
    expectRefused(await stack.graphql(typeDepth(11)), 'GRAPHQL_VALIDATION_FAILED', 'depth limit of 10', 'GRAPHQL_MAX_DEPTH');
    expectRan(await stack.graphql(typeDepth(10)));
  });

  it('counts the selections of fragments, not the spreads', async () => {
    const viaFragments = `{ __type(name: "Product") { ...A } }
      fragment A on __Type { fields { ...B } }
      fragment B on __Field { type { ${'ofType { '.repeat(7)}name${' }'.repeat(7)} } }`;
    // __type 1, fields 2, type 3, ofType ×7, name 11
    expectRefused(await stack.graphql(viaFragments), 'GRAPHQL_VALIDATION_FAILED', 'depth limit of 10');
  });
});

describe('GRAPHQL_MAX_ALIASES (15)', () => {
  const aliases = (n: number) => `{ ${repeat(n, (i) => `a${i}: product(id: "p1") { id }`)} }`;

  it('refuses 16 and runs 15', async () => {
    expectRefused(await stack.graphql(aliases(16)), 'GRAPHQL_VALIDATION_FAILED', 'Aliases limit of 15', 'GRAPHQL_MAX_ALIASES');
    expectRan(await stack.graphql(aliases(15)));
  });

  it('counts aliases inside fragments', async () => {
    const query = `{ ...F ...G } fragment F on Query { ${repeat(8, (i) => `f${i}: product(id: "p1") { id }`)} } fragment G on Query { ${repeat(8, (i) => `g${i}: product(id: "p2") { id }`)} }`;
    expectRefused(await stack.graphql(query), 'GRAPHQL_VALIDATION_FAILED', 'Aliases limit of 15');
  });
});

describe('GRAPHQL_MAX_DIRECTIVES (50)', () => {
  const directives = (n: number) => `{ ${repeat(n, () => '__typename @include(if: true)')} }`;

  it('refuses 51 and runs 50', async () => {
    expectRefused(await stack.graphql(directives(51)), 'GRAPHQL_VALIDATION_FAILED', 'Directives limit of 50', 'GRAPHQL_MAX_DIRECTIVES');
    expectRan(await stack.graphql(directives(50)));
  });
});

describe('GRAPHQL_MAX_TOKENS (2000)', () => {
  // `{ products ( ids : [` n ids `] ) { id } }`: 12 + n tokens (commas are not tokens).
  // Ids, not repeated fields: graphql-js aborts validating ~2000 fields of one name.
  const tokens = (n: number) => `{ products(ids: [${repeat(n - 12, (i) => `"p${i}"`)}]) { id } }`;

  it('refuses 2001 tokens with GRAPHQL_PARSE_FAILED and parses 2000', async () => {
    // graphql-js's own wording ("contains more that 2000 tokens").
    expectRefused(await stack.graphql(tokens(2001)), 'GRAPHQL_PARSE_FAILED', '2000 tokens');
    // 1988 ids pass every limit and reach the resolver, which allows at most 100.
    const result = await stack.graphql(tokens(2000));
    expect(result.status).toBe(200);
    expect(result.body.errors!.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'ids' }]);
  });
});

describe('GRAPHQL_MAX_COST (5000)', () => {
  // Each alias: 1 + 50 × (nodes 1 + reviews (1 + 50 × rating 1)) = 2601.
  const heavy = (first: string) =>
    `query ${first === '$n' ? '($n: Int) ' : ''}{ ${repeat(2, (i) => `s${i}: searchProducts(query: "cup", first: ${first}) { nodes { reviews(first: 50) { rating } } }`)} }`;

  it('refuses an operation over the cost, naming the bound and the estimate', async () => {
    expectRefused(await stack.graphql(heavy('50')), 'GRAPHQL_VALIDATION_FAILED', 'cost limit of 5000', 'estimated 5202', 'GRAPHQL_MAX_COST');
  });

  it('prices sizes given as variables', async () => {
    expectRefused(await stack.graphql(heavy('$n'), { variables: { n: 50 } }), 'GRAPHQL_VALIDATION_FAILED', 'cost limit of 5000');
    expectRan(await stack.graphql(heavy('$n'), { variables: { n: 10 } }));
  });

  it('prices a size past the maximum as the maximum: the resolver refuses it by name, the catalog hears nothing', async () => {
    // Priced 1 + 50 × (1 + 1 + 50) = 2601, under the bound; first: 1000 is still refused.
    const result = await stack.graphql('{ searchProducts(query: "cup", first: 1000) { nodes { reviews(first: 1000) { rating } } } }');
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ searchProducts: null });
    expect(result.body.errors!.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'first' }]);
    expect(stack.recorder.all).toEqual([]);
  });
});

describe('fragments spread over and over', () => {
  it('are refused with 400 as over the cost before anything runs, not with a 500', async () => {
    // Each fragment spreads the next twice: 2^16 product selections from a short document.
    const levels = 16;
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ');
    const query = `{ ...F0 } ${fragments} fragment F${levels} on Query { product(id: "p1") { id name } }`;
    // graphql-query-complexity stops counting at 10000 selections: far past the cost bound.
    expectRefused(await stack.graphql(query), 'GRAPHQL_VALIDATION_FAILED', 'cost limit of 5000', 'GRAPHQL_MAX_COST');
  });
});

describe('introspection (on outside production)', () => {
  it("runs the full introspection query of Sandbox and GraphiQL (every option)", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const result = await stack.graphql(query);
    expectRan(result);
    expect(result.body.data!.__schema.queryType).toEqual({ name: 'Query', kind: 'OBJECT' });
  });

  it('has a depth bound of its own: 20', async () => {
    // __schema 1, types 2, fields 3, type 4, ofType × k, name 5 + k
    const schemaDepth = (depth: number) => `{ __schema { types { fields { type { ${'ofType { '.repeat(depth - 5)}name${' }'.repeat(depth - 5)} } } } } }`;
    expectRefused(await stack.graphql(schemaDepth(21)), 'GRAPHQL_VALIDATION_FAILED', 'depth limit of 20', 'introspection depth');
    expectRan(await stack.graphql(schemaDepth(20)));
  });
});

describe('HTTP batching', () => {
  it('is off: an array of operations is refused with 400 and nothing runs', async () => {
    const res = await stack.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.bff.url },
      body: JSON.stringify([{ query: '{ product(id: "p1") { id } }' }, { query: '{ product(id: "p2") { id } }' }]),
    });
    expect(res.status).toBe(400);
    expect(res.text_).toContain('batch');
    expect(stack.recorder.all).toEqual([]);
  });
});

describe('list arguments: at the bound the call is made, one past it is BAD_USER_INPUT naming the argument', () => {
  function expectBadInput(result: GraphQLResult, field: string, bound: string): void {
    expect(result.status).toBe(200);
    const errors = result.body.errors ?? [];
    expect(errors).toHaveLength(1);
    expect(errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(errors[0]!.message).toContain(field);
    expect(errors[0]!.message).toContain(bound);
  }

  it('searchProducts(first): at most 50, the catalog’s own page size', async () => {
    expectRan(await stack.graphql('{ searchProducts(query: "e", first: 50) { nodes { id } } }'));
    expect(stack.recorder.forService('catalog').map((r) => r.query.limit)).toEqual(['50']);
    stack.recorder.clear();
    expectBadInput(await stack.graphql('{ searchProducts(query: "e", first: 51) { nodes { id } } }'), 'first', '50');
    expect(stack.recorder.all).toEqual([]);
  });

  it('products(ids): at most 100 ids', async () => {
    const ids = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => `p${i + 1}`));
    expectRan(await stack.graphql(`{ products(ids: ${ids(100)}) { id } }`));
    expect(stack.recorder.forService('catalog')).toHaveLength(1);
    stack.recorder.clear();
    expectBadInput(await stack.graphql(`{ products(ids: ${ids(101)}) { id } }`), 'ids', '100');
    expect(stack.recorder.all).toEqual([]);
  });

  it('Product.reviews(first): at most 50', async () => {
    expectRan(await stack.graphql('{ product(id: "p1") { reviews(first: 50) { rating } } }'));
    const result = await stack.graphql('{ product(id: "p1") { id reviews(first: 51) { rating } } }');
    expectBadInput(result, 'first', '50');
    expect(result.body.data).toEqual({ product: { id: 'p1', reviews: null } });
  });

  it('Viewer.orders(first): at most 100, the orders service’s own page size', async () => {
    expectRan(await stack.graphql('{ me { orders(first: 100) { id } } }', { jar: alice }));
    expect(stack.recorder.forService('orders').map((r) => r.query.limit)).toEqual(['100']);
    stack.recorder.clear();
    expectBadInput(await stack.graphql('{ me { orders(first: 101) { id } } }', { jar: alice }), 'first', '100');
    expect(stack.recorder.forService('orders')).toEqual([]);
  });

  it('placeOrder(input.lines): at most 50 lines', async () => {
    const placeOrder = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
    const lines = (n: number) => Array.from({ length: n }, (_, i) => ({ productId: `p${i + 1}`, quantity: 1 }));
    const over = await stack.graphql(placeOrder, { jar: alice, variables: { input: { idempotencyKey: 'limits-test-51', lines: lines(51) } } });
    expectBadInput(over, 'input.lines', '50');
    expect(stack.recorder.forService('orders')).toEqual([]);
    // At the bound the order reaches the orders service (which may still refuse a line).
    await stack.graphql(placeOrder, { jar: alice, variables: { input: { idempotencyKey: 'limits-test-50', lines: lines(50) } } });
    const posted = stack.recorder.forService('orders').filter((r) => r.method === 'POST');
    expect(posted).toHaveLength(1);
    expect((posted[0]!.body as { lines: unknown[] }).lines).toHaveLength(50);
  });
});

describe('the operations clients send run with the defaults', () => {
  const dashboard = (reviews: string) =>
    `{ me { id orders(first: 20) { id total { formatted } lines { quantity product { name price { formatted } rating { average } ${reviews} { rating } } } } } }`;

  it.each([['reviews'], ['reviews(first: 3)']])('the dashboard with %s, in 3 downstream calls', async (reviews) => {
    const result = await stack.graphql(dashboard(reviews), { jar: alice });
    expectRan(result);
    expect(result.body.data!.me.orders.length).toBeGreaterThan(0);
    expect(stack.recorder.all.map((r) => r.service).sort()).toEqual(['catalog', 'orders', 'reviews']);
  });

  it('a search page of 50', async () => {
    expectRan(
      await stack.graphql(
        '{ searchProducts(query: "e", first: 50) { nodes { id name price { formatted } imageUrl inStock rating { average count } } pageInfo { hasNextPage endCursor } } }',
      ),
    );
  });

  it('a product page', async () => {
    const result = await stack.graphql(
      '{ product(id: "p1") { id name description price { amount currency formatted } imageUrl inStock stock rating { average count } reviews(first: 10) { id rating title body author createdAt } } }',
    );
    expectRan(result);
    expect(result.body.data!.product.id).toBe('p1');
  });
});
