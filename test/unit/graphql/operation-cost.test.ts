import { describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import { LIST_SIZES, operationCost } from '../../../src/graphql/limits/index.js';
import { createSchema } from '../../../src/graphql/schema.js';

/**
 * The cost estimator's weights: every field 1, a list sized by an argument multiplies
 * its subtree by that size (as the operation will run: literal, variable or the schema's
 * default), capped at the resolver's maximum, which it also assumes when the size is
 * unknown. The operations the clients send stay well under GRAPHQL_MAX_COST (5000).
 */

const schema = createSchema();
const cost = (query: string, variables?: Record<string, unknown>) => operationCost(schema, parse(query), { variables });

const DEFAULT_MAX_COST = 5000;

describe('weights', () => {
  it('counts every field once, scalars and objects alike', () => {
    // product 1 + id 1 + name 1 + price (1 + formatted 1)
    expect(cost('{ product(id: "p1") { id name price { formatted } } }')).toBe(5);
    expect(cost('{ __typename }')).toBe(1);
  });

  it('multiplies a sized list by its literal size', () => {
    // searchProducts 1 + 7 × (nodes 1 + id 1)
    expect(cost('{ searchProducts(query: "cup", first: 7) { nodes { id } } }')).toBe(1 + 7 * 2);
  });

  it("uses the schema's default where the argument is left out (searchProducts 20, reviews 3, orders 10)", () => {
    expect(cost('{ searchProducts(query: "cup") { nodes { id } } }')).toBe(1 + 20 * 2);
    expect(cost('{ product(id: "p1") { reviews { rating } } }')).toBe(1 + (1 + 3 * 1));
    expect(cost('{ me { orders { id } } }')).toBe(1 + (1 + 10 * 1));
  });

  it('takes sizes from the variables', () => {
    const query = 'query ($n: Int, $q: String!) { searchProducts(query: $q, first: $n) { nodes { id } } }';
    expect(cost(query, { q: 'cup', n: 5 })).toBe(1 + 5 * 2);
    // An omitted nullable variable: the argument's default applies, as at execution.
    expect(cost(query, { q: 'cup' })).toBe(1 + 20 * 2);
  });

  it('counts the ids of products(ids:), from a literal or a variable', () => {
    expect(cost('{ products(ids: ["p1", "p2", "p3"]) { id } }')).toBe(1 + 3 * 1);
    const ids = Array.from({ length: 40 }, (_, i) => `p${i}`);
    expect(cost('query ($ids: [ID!]!) { products(ids: $ids) { id name } }', { ids })).toBe(1 + 40 * 2);
  });

  it('caps a size at what the resolver accepts (more is BAD_USER_INPUT anyway), and a negative at 0', () => {
    expect(cost('{ searchProducts(query: "cup", first: 1000) { nodes { id } } }')).toBe(1 + LIST_SIZES['Query.searchProducts'].max * 2);
    expect(cost('{ product(id: "p1") { reviews(first: -5) { rating } } }')).toBe(1 + 1);
  });

  it('multiplies nested sized lists', () => {
    // 1 + 50 × (nodes 1 + reviews (1 + 50 × rating 1))
    expect(cost('{ searchProducts(query: "cup", first: 50) { nodes { reviews(first: 50) { rating } } } }')).toBe(1 + 50 * (1 + 1 + 50));
  });

  it('counts fragments as if their selections were written out', () => {
    const spread = cost('{ searchProducts(query: "x", first: 10) { nodes { ...P } } } fragment P on Product { id name }');
    expect(spread).toBe(cost('{ searchProducts(query: "x", first: 10) { nodes { id name } } }'));
  });

  it('prices the operation named by operationName only', () => {
    const doc = parse('query A { product(id: "p1") { id } } query B { searchProducts(query: "x", first: 10) { nodes { id } } }');
    expect(operationCost(schema, doc, { operationName: 'A' })).toBe(2);
    expect(operationCost(schema, doc, { operationName: 'B' })).toBe(21);
  });

  it('is undefined when the variables cannot run (execution refuses them before any resolver)', () => {
    expect(cost('query ($q: String!) { searchProducts(query: $q) { nodes { id } } }', {})).toBeUndefined();
    expect(cost('query ($n: Int) { me { orders(first: $n) { id } } }', { n: 'many' })).toBeUndefined();
  });
});

describe('the operations clients send pass with the defaults', () => {
  const dashboard = (reviews: string) =>
    `{ me { id orders(first: 20) { id total { formatted } lines { quantity product { name price { formatted } rating { average } ${reviews} { rating } } } } } }`;

  it.each([
    ['the dashboard', dashboard('reviews')],
    ['the dashboard with reviews(first: 3)', dashboard('reviews(first: 3)')],
    ['a search page of 50', '{ searchProducts(query: "cup", first: 50) { nodes { id name price { formatted } imageUrl inStock rating { average count } } pageInfo { hasNextPage endCursor } } }'],
    [
      'a product page',
      '{ product(id: "p1") { id name description price { amount currency formatted } imageUrl inStock stock rating { average count } reviews(first: 10) { id rating title body author createdAt } } }',
    ],
  ])('%s', (_what, query) => {
    const c = cost(query)!;
    expect(c).toBeGreaterThan(0);
    expect(c).toBeLessThan(DEFAULT_MAX_COST);
  });

  it('the dashboard is priced as expected (orders × their subtree; lines are not sized)', () => {
    // per line: quantity 1 + product (1 + name 1 + price 2 + rating 2 + reviews (1 + 3 × 1)) = 11
    // per order: id 1 + total 2 + lines (1 + 11) = 15; me: 1 + id 1 + orders (1 + 20 × 15)
    expect(cost(dashboard('reviews'))).toBe(1 + 1 + (1 + 20 * 15));
  });
});
