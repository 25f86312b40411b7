import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { fromProjectRoot } from '../lib/project-root.js';
import { resolvers } from './resolvers/index.js';

/** `schema/` at the project root. */
const SCHEMA_DIR = fromProjectRoot('schema');

/** The SDL files, one per domain, in a stable order. */
export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(join(SCHEMA_DIR, f), 'utf8'));
}

export interface SchemaOptions {
  /** SDL. Default `loadTypeDefs()` (schema/). */
  readonly typeDefs?: readonly string[];
  /** Resolver maps, merged. Default `[resolvers]` (resolvers/index.ts). */
  readonly resolvers?: readonly object[];
}

export function createSchema(opts: SchemaOptions = {}): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: [...(opts.typeDefs ?? loadTypeDefs())],
    resolvers: [...(opts.resolvers ?? [resolvers])] as never,
    // Every Query/Mutation field in the SDL must have a resolver; a typo fails start-up.
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
