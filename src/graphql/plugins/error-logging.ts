import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { DownstreamError } from '../../downstream/errors.js';
import type { GraphQLContext } from '../context.js';
import { isExpectedError } from '../errors.js';

/**
 * Logs what the client will only see masked: unexpected errors in full (with the
 * request id the client got in `x-request-id`, so support can find them), downstream
 * failures at warn with the service name. Messages of downstream errors are ours and
 * never carry a credential, so they are safe to log.
 */
export function errorLoggingPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            const path = error.path?.join('.');
            if (original instanceof DownstreamError) {
              contextValue.logger.warn(
                { downstream: original.service, failure: original.failure, status: original.details.status, path },
                'downstream call failed',
              );
            } else if (!isExpectedError(error)) {
              contextValue.logger.error({ err: original, path }, 'unexpected error in GraphQL request');
            }
          }
        },
      };
    },
  };
}
