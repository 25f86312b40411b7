import { readdirSync, readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from './resolvers/index.js';

/** `schema/` at the project root, both from `src/graphql` and from `dist/graphql`. */
const SCHEMA_DIR = new URL('../../schema/', import.meta.url);

/** The SDL files, one per domain, in a stable order. */
export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(new URL(f, SCHEMA_DIR), 'utf8'));
}

export function createSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: resolvers as never,
    // Every Query/Mutation field in the SDL must have a resolver; a typo fails start-up.
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
