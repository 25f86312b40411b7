import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AuthError } from '../auth/errors.js';
import { DownstreamError } from '../downstream/errors.js';

/**
 * The public error codes of this API (`extensions.code`), as promised to frontends in
 * the schema contract. Anything else a resolver throws is masked as
 * INTERNAL_SERVER_ERROR and logged with the request id.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  DOWNSTREAM_UNAVAILABLE: 'DOWNSTREAM_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes Apollo Server itself raises for malformed requests; they are safe to show. */
const APOLLO_REQUEST_CODES = new Set<string>([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.BAD_REQUEST,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  'INTROSPECTION_DISABLED',
  'MAX_RECURSIVE_SELECTIONS_EXCEEDED',
]);

const PUBLIC_CODES = new Set<string>([...Object.values(ErrorCode), ...APOLLO_REQUEST_CODES]);

export const unauthenticated = (message = 'Sign in to do this.') =>
  new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED } });

export const notFound = (what: string) =>
  new GraphQLError(`${what} was not found.`, { extensions: { code: ErrorCode.NOT_FOUND } });

/** An invalid argument; `field` is the argument path a client can point at. */
export const badUserInput = (field: string, message: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, field } });

/**
 * Runs a downstream call whose input came from GraphQL arguments, renaming the field a
 * 400/422 names (the service's body path, `lines[0].productId`) to the argument path the
 * client sent (`input.lines[0].productId`), so `extensions.field` points at the client's
 * own input.
 */
export async function withArgumentPath<T>(call: Promise<T>, toArgument: (field: string) => string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof DownstreamError && err.failure === 'bad_input' && err.details.field) {
      throw new DownstreamError(err.service, err.failure, err.message, { ...err.details, field: toArgument(err.details.field), cause: err });
    }
    throw err;
  }
}

const DOWNSTREAM_MESSAGES: Record<string, string> = {
  catalog: 'The product catalog is unavailable right now.',
  orders: 'Orders are unavailable right now.',
  reviews: 'Reviews are unavailable right now.',
  payments: 'Payments are unavailable right now.',
};

/**
 * Turns what a resolver threw into the error a client sees. Expected errors keep their
 * code and safe message; everything else becomes INTERNAL_SERVER_ERROR with no
 * internals (the original is logged by the error-logging plugin).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = { locations: formatted.locations, path: formatted.path };

  if (original instanceof DownstreamError) {
    switch (original.failure) {
      case 'not_found':
        return { ...base, message: 'The requested object was not found.', extensions: { code: ErrorCode.NOT_FOUND } };
      case 'bad_input':
        return {
          ...base,
          message: original.message,
          extensions: {
            code: ErrorCode.BAD_USER_INPUT,
            ...(original.details.field ? { field: original.details.field } : {}),
          },
        };
      case 'unavailable':
        return {
          ...base,
          message: DOWNSTREAM_MESSAGES[original.service] ?? 'A service is unavailable right now.',
          extensions: {
            code: ErrorCode.DOWNSTREAM_UNAVAILABLE,
            service: original.service,
            retryable: original.details.retryable ?? true,
          },
        };
    }
  }
  if (original instanceof AuthError) {
    if (original.code === 'UNAUTHENTICATED') {
      return { ...base, message: original.message, extensions: { code: ErrorCode.UNAUTHENTICATED } };
    }
    // The IdP could not refresh the user's token: the session stays, the client may retry.
    return {
      ...base,
      message: original.message,
      extensions: { code: ErrorCode.DOWNSTREAM_UNAVAILABLE, service: 'identity-provider', retryable: true },
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PUBLIC_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    // Drop anything but the code and our own safe fields (Apollo adds `stacktrace` in dev).
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return { ...base, message: 'Internal server error.', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

/** Whether an error is one we expected (and so is not logged as a failure of ours). */
export function isExpectedError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof DownstreamError || original instanceof AuthError) return true;
  if (original instanceof GraphQLError) {
    const code = original.extensions?.code;
    return typeof code === 'string' && PUBLIC_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR;
  }
  return false;
}
