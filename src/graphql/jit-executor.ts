import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { execute, GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

export interface JitExecutorOptions {
  readonly schema: GraphQLSchema;
  /**
   * How many compiled operations are kept (least recently used dropped first). Each is a
   * generated function of a few KB to a few tens of KB; under enforced trusted documents
   * there are only as many as the manifest lists. Default `500`.
   */
  readonly maxCompiled?: number;
}

/** Apollo's gateway interface, through `@apollo/server`'s own types. */
type Gateway = ApolloServerOptionsWithGateway<object>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<Gateway['load']>>['executor']>;

/**
 * What one document and operation name compiles to: graphql-jit's query, or `null` when
 * graphql-jit cannot compile it (then graphql-js runs it, as without this executor).
 */
type Compiled = CompiledQuery | null;

/**
 * Runs operations with graphql-jit: each document is compiled once into a JavaScript
 * function that walks that selection set only (no per-field lookups of the schema, no
 * per-field `info` objects unless a resolver reads one, default resolvers inlined as
 * property reads). Apollo Server 5 lets another executor in only through its `gateway`
 * option, so this is a `GatewayInterface` whose schema never changes.
 *
 * Everything before execution stays Apollo's: parsing with the token limit, validation
 * with the limit rules (and the cached validated document), trusted documents,
 * `didResolveOperation` (the cost limit), `formatError` masking, error logging, HTTP
 * status. Caveats, checked by the GraphQL suites or not relevant to this schema:
 * - no `@defer`/`@stream` (incremental delivery): the schema declares neither;
 * - Apollo's `rootValue` and `fieldResolver` options are ignored (this server sets none);
 * - plugins' `willResolveField` hooks never run (none of ours has one; the cache-control
 *   plugin, which has, is off);
 * - variables are coerced by graphql-jit; when that fails (no data at all), the request
 *   runs again through graphql-js, which no resolver has seen yet, so clients keep
 *   graphql-js's exact messages and Apollo's BAD_USER_INPUT / 400 for them;
 * - a document graphql-jit cannot compile runs through graphql-js.
 */
export function jitGateway({ schema, maxCompiled = 500 }: JitExecutorOptions): Gateway {
  // Keyed by Apollo's hash of the query text (and the operation name), not by the parsed
  // document, so a document Apollo parses again after its own cache dropped it is not
  // compiled again. `null` (cannot compile) is remembered too.
  const compiled = new LRUCache<string, { query: Compiled }>({ max: maxCompiled });

  const executor: GatewayExecutor = async ({ document, operationName, queryHash, request, context }) => {
    const key = `${queryHash}:${operationName ?? ''}`;
    let entry = compiled.get(key);
    if (!entry) {
      const result = compileQuery(schema, document, operationName ?? undefined);
      entry = { query: isCompiledQuery(result) ? result : null };
      compiled.set(key, entry);
    }
    const { query } = entry;
    const runWithGraphqlJs = () =>
      execute({ schema, document, contextValue: context, variableValues: request.variables, operationName }) as
        | ExecutionResult
        | Promise<ExecutionResult>;
    if (!query) return runWithGraphqlJs();
    const result = await query.query(undefined, context, request.variables ?? {});
    // No `data` at all: the variables were refused before any resolver ran.
    if (result.data === undefined && result.errors?.length) return runWithGraphqlJs();
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : (result as ExecutionResult);
  };

  return {
    // Apollo registers this callback before `load()`; the schema is fixed, so it is called once.
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    async load() {
      return { executor };
    },
    async stop() {
      compiled.clear();
    },
  };
}

/**
 * graphql-jit's errors inherit from graphql-js's but leave `extensions` undefined when
 * the thrown error has none; Apollo reads `extensions.code` and would fail to format
 * them (every such error would come out as a bare "Internal server error" without its
 * path). Rebuilt as graphql-js builds a resolver's error: message, path, locations,
 * the thrown error as `originalError` (what `unwrapResolverError` and our masking read)
 * and its extensions. Only errors pay for this.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions ?? undefined,
  });
  (rebuilt as { locations: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}
