import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLMetrics } from '../../observability/metrics.js';
import type { GraphQLContext } from '../context.js';

export interface OperationMetricsOptions {
  readonly metrics: GraphQLMetrics;
  /**
   * The operation names that get their own label: the trusted-documents manifest's, read
   * per request so a reloaded manifest applies at once. Every other name is `other`, so
   * a client cannot grow the label set. Default: none (everything is `other`).
   */
  readonly operationNames?: () => ReadonlySet<string>;
}

/** An operation name longer than this is cut in the access line (it is the client's text). */
const MAX_LOGGED_NAME = 100;

const NONE: ReadonlySet<string> = new Set();

/**
 * Counts every GraphQL request by operation (`graphql_operation_duration_seconds`, whose
 * count is the operation count) and the distinct error codes of its answer
 * (`graphql_operation_errors_total`), and notes the operation's name for the access
 * line. Two request-level hooks, no field-level one.
 */
export function operationMetricsPlugin(opts: OperationMetricsOptions): ApolloServerPlugin<GraphQLContext> {
  const names = opts.operationNames ?? (() => NONE);
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ contextValue, operationName, request, response }) {
          const name = operationName ?? request.operationName ?? undefined;
          if (name) contextValue.access.operationName = name.length > MAX_LOGGED_NAME ? name.slice(0, MAX_LOGGED_NAME) : name;
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          let codes: Set<string> | undefined;
          if (errors !== undefined && errors.length > 0) {
            codes = new Set();
            for (const e of errors) {
              const code = e.extensions?.code;
              codes.add(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
            }
          }
          opts.metrics.finished(name !== undefined && names().has(name) ? name : 'other', (performance.now() - started) / 1000, codes);
        },
      };
    },
  };
}
