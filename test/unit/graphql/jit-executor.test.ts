import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { type Config, type GraphQLExecutorName, loadConfig } from '../../../src/config/index.js';
import type { GraphQLContext } from '../../../src/graphql/context.js';
import { createSchema } from '../../../src/graphql/schema.js';
import { createGraphQLServer } from '../../../src/graphql/server.js';

/**
 * The graphql-jit executor (GRAPHQL_EXECUTOR=jit, the default) answers exactly what
 * graphql-js answers, errors included: the same body and the same HTTP status for each
 * operation below, through the same Apollo server and formatError. A small schema of
 * its own, so each error case is one field.
 */

const typeDefs = [
  `type Query {
    hello(name: String!): String!
    list(n: Int!): [Item!]!
    item: Item
    coded: String
    plain: String
    asyncPlain: String
    nonNullNull: String!
    nested: Item
  }
  type Item { id: ID! label: String! bad: String! }`,
];

class Internal extends Error {
  constructor() {
    super('database password is hunter2');
  }
}

const resolvers = [
  {
    Query: {
      hello: (_: unknown, { name }: { name: string }) => `hello ${name}`,
      list: (_: unknown, { n }: { n: number }) => Array.from({ length: n }, (_x, i) => ({ id: String(i), label: `#${i}` })),
      item: async () => ({ id: 'i', label: 'item' }),
      coded: () => {
        throw new GraphQLError('Sign in to do this.', { extensions: { code: 'UNAUTHENTICATED' } });
      },
      plain: () => {
        throw new Internal();
      },
      asyncPlain: async () => {
        throw new Internal();
      },
      nonNullNull: () => null,
      nested: () => ({ id: 'n', label: 'nested' }),
    },
    Item: {
      bad: async () => {
        throw new Internal();
      },
    },
  },
];

const schema = createSchema({ typeDefs, resolvers });
const settings = (executor: GraphQLExecutorName): Pick<Config, 'graphql' | 'operationLimits' | 'production'> => ({
  production: true,
  graphql: { executor, introspection: false, sandbox: false, requestBudgetMs: 1000 },
  operationLimits: loadConfig({}).operationLimits,
});

let jit: ApolloServer<GraphQLContext>;
let js: ApolloServer<GraphQLContext>;
beforeAll(async () => {
  jit = createGraphQLServer({ schema, config: settings('jit') });
  js = createGraphQLServer({ schema, config: settings('graphql-js') });
  await Promise.all([jit.start(), js.start()]);
});
afterAll(() => Promise.all([jit?.stop(), js?.stop()]));

async function run(server: ApolloServer<GraphQLContext>, query: string, variables?: Record<string, unknown>) {
  const res = await server.executeOperation({ query, variables }, { contextValue: { logger: pino({ level: 'silent' }) } as unknown as GraphQLContext });
  if (res.body.kind !== 'single') throw new Error('expected a single result');
  return { status: res.http.status, body: JSON.parse(JSON.stringify(res.body.singleResult)) as Record<string, unknown> };
}

describe.each<[string, string, Record<string, unknown>?]>([
  ['data with variables', 'query ($n: Int!) { list(n: $n) { id label } hello(name: "x") }', { n: 3 }],
  ['an error with a public code, keeping its path and locations', '{ coded hello(name: "y") }'],
  ['an unexpected error, masked', '{ plain }'],
  ['an unexpected error from a promise, masked', '{ asyncPlain item { id } }'],
  ['null for a non-null field, nulling its parent', '{ nonNullNull hello(name: "z") }'],
  ['a failing non-null field inside a list', '{ list(n: 2) { id bad } }'],
  ['a failing non-null field in a nullable object', '{ nested { id bad } item { label } }'],
  ['a missing required variable', 'query ($n: Int!) { list(n: $n) { id } }', {}],
  ['a variable of the wrong type', 'query ($n: Int!) { list(n: $n) { id } }', { n: 'many' }],
  ['a variable that does not fit Int', 'query ($n: Int!) { list(n: $n) { id } }', { n: 2 ** 40 }],
  ['aliases and fragments', '{ a: hello(name: "1") b: hello(name: "2") ...F } fragment F on Query { item { ...I } } fragment I on Item { id }'],
  ['@skip and @include with variables', 'query ($s: Boolean!) { item { id @skip(if: $s) label @include(if: $s) } }', { s: true }],
])('%s', (_name, query, variables) => {
  it('answers what graphql-js answers', async () => {
    const [fromJit, fromJs] = await Promise.all([run(jit, query, variables), run(js, query, variables)]);
    expect(fromJit).toEqual(fromJs);
  });
});

it('never shows an unexpected error’s message, with either executor', async () => {
  const { body } = await run(jit, '{ plain asyncPlain }');
  expect(JSON.stringify(body)).not.toContain('hunter2');
  expect(body.errors).toEqual([
    expect.objectContaining({ path: ['plain'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
    expect.objectContaining({ path: ['asyncPlain'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
  ]);
});

it('runs the same document many times with one compilation and the same answers', async () => {
  const answers = await Promise.all(Array.from({ length: 20 }, (_x, n) => run(jit, 'query ($n: Int!) { list(n: $n) { id } }', { n })));
  answers.forEach(({ body }, n) => expect((body.data as { list: unknown[] }).list).toHaveLength(n));
});
