import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApolloServer } from '@apollo/server';
import { type Config, loadConfig } from '../../../src/config/index.js';
import type { GraphQLContext } from '../../../src/graphql/context.js';
import { withoutSchemaHints } from '../../../src/graphql/errors.js';
import { createSchema } from '../../../src/graphql/schema.js';
import { createGraphQLServer } from '../../../src/graphql/server.js';

/**
 * In production, error messages never suggest names ("Did you mean …?") and never name
 * input types, for validation and for the coercion of variables alike, while codes stay.
 *
 * Production mode here is the Apollo server built by `createGraphQLServer` with the
 * `production` flag set: that flag is all the wording depends on, and a real production
 * `loadConfig` would need an https issuer, Redis and every service's URL. Introspection
 * is ON in both servers, so Apollo's own suggestion filter (which only runs with
 * introspection off) is not what removes the hints. Every input is run against the
 * development server too, so each test shows the hint is really there to remove.
 */

const schema = createSchema();
const settings = (production: boolean): Pick<Config, 'graphql' | 'operationLimits' | 'production'> => ({
  production,
  graphql: { executor: loadConfig({}).graphql.executor, introspection: true, sandbox: false, requestBudgetMs: 1000 },
  operationLimits: loadConfig({}).operationLimits,
});

let prod: ApolloServer<GraphQLContext>;
let dev: ApolloServer<GraphQLContext>;
beforeAll(async () => {
  prod = createGraphQLServer({ schema, config: settings(true) });
  dev = createGraphQLServer({ schema, config: settings(false) });
  await Promise.all([prod.start(), dev.start()]);
});
afterAll(() => Promise.all([prod?.stop(), dev?.stop()]));

interface Outcome {
  status: number | undefined;
  errors: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** Runs the operation; no resolver may run (the context is empty on purpose). */
async function run(server: ApolloServer<GraphQLContext>, query: string, variables?: Record<string, unknown>): Promise<Outcome> {
  const res = await server.executeOperation({ query, variables }, { contextValue: {} as GraphQLContext });
  if (res.body.kind !== 'single') throw new Error('expected a single result');
  return { status: res.http.status, errors: (res.body.singleResult.errors ?? []) as Outcome['errors'] };
}

const INPUT_TYPES = ['PlaceOrderInput', 'OrderLineInput'];
const hinted = (message: string) => /Did you mean/.test(message) || INPUT_TYPES.some((t) => message.includes(t));

const PLACE_ORDER = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';

describe.each<[string, string, Record<string, unknown> | undefined, string, string[]]>([
  [
    'a misspelt input field in the variables',
    PLACE_ORDER,
    { input: { lins: [], idempotencyKey: 'abcdefgh' } },
    'BAD_USER_INPUT',
    ['Variable "$input" got invalid value', 'Field "lins" is not defined.', 'Field "lines" was not provided.'],
  ],
  [
    'a misspelt field of a nested input in the variables',
    PLACE_ORDER,
    { input: { lines: [{ productId: 'p1', quantty: 1 }], idempotencyKey: 'abcdefgh' } },
    'BAD_USER_INPUT',
    ['Field "quantty" is not defined.', 'Field "quantity" was not provided.'],
  ],
  [
    'an input that is not an object',
    PLACE_ORDER,
    { input: 'everything' },
    'BAD_USER_INPUT',
    ['Expected an object.'],
  ],
  [
    'a misspelt input field in a literal',
    'mutation { placeOrder(input: { lins: [], idempotencyKey: "abcdefgh" }) { id } }',
    undefined,
    'GRAPHQL_VALIDATION_FAILED',
    ['Field "lins" is not defined.', 'Field "lines" was not provided.'],
  ],
  [
    'a misspelt output field',
    '{ prodct(id: "p1") { id } }',
    undefined,
    'GRAPHQL_VALIDATION_FAILED',
    ['Cannot query field "prodct" on type "Query".'],
  ],
  ['a misspelt argument', '{ product(idd: "p1") { id } }', undefined, 'GRAPHQL_VALIDATION_FAILED', ['Unknown argument "idd"']],
])('%s', (_what, query, variables, code, expected) => {
  it('in development: the hint is there', async () => {
    const { errors } = await run(dev, query, variables);
    expect(errors.some((e) => hinted(e.message))).toBe(true);
  });

  it('in production: no suggestion, no input type; the code and the rest of the message stay', async () => {
    const { status, errors } = await run(prod, query, variables);
    expect(status).toBe(400);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.message).not.toMatch(/Did you mean/);
      for (const type of INPUT_TYPES) expect(error.message).not.toContain(type);
      expect(error.extensions?.code).toBe(code);
    }
    const all = errors.map((e) => e.message).join('\n');
    for (const part of expected) expect(all).toContain(part);
  });
});

describe('production keeps the operation limits', () => {
  it('refuses 16 aliases with 400, naming the limit', async () => {
    const query = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ')} ${Array.from({ length: 16 }, (_, i) => `b${i}: product(id: "p1") { id }`).join(' ')} }`;
    const { status, errors } = await run(prod, query);
    expect(status).toBe(400);
    expect(errors).toEqual([{ message: expect.stringContaining('Aliases limit of 15'), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
  });
});

describe('withoutSchemaHints', () => {
  it.each([
    ['Value "SHIPED" does not exist in "OrderStatus" enum. Did you mean the enum value "SHIPPED"?', 'Value "SHIPED" is not one of the allowed values.'],
    ['Expected value of type "OrderLineInput!", found null.', 'Unexpected value null.'],
    ['Variable "$n" of type "String" used in position expecting type "PlaceOrderInput!".', 'Variable "$n" is used where its type does not fit.'],
    ['Variable "$input" of required type "PlaceOrderInput!" was not provided.', 'Variable "$input" was not provided.'],
    ['Cannot query field "x" on type "Query". Did you mean "a", "b", or "c"?', 'Cannot query field "x" on type "Query".'],
    ['Unknown type "PlaceOrderInputs". Did you mean "PlaceOrderInput"?', 'Unknown type "PlaceOrderInputs".'],
  ])('%s', (message, expected) => {
    expect(withoutSchemaHints(message)).toBe(expected);
  });

  it('leaves messages without hints alone', () => {
    const message = 'first must be a whole number from 1 to 50.';
    expect(withoutSchemaHints(message)).toBe(message);
  });
});
