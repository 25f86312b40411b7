import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AuthError } from '../auth/errors.js';
import { DownstreamCallLimitError, DownstreamError } from '../downstream/errors.js';
import type { ServiceSettings } from '../services/definition.js';
import { SERVICE_SETTINGS } from '../services/settings.js';

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
  /** The request made as many downstream calls as one request may (`GRAPHQL_MAX_DOWNSTREAM_CALLS`). */
  DOWNSTREAM_CALL_LIMIT: 'DOWNSTREAM_CALL_LIMIT',
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

/** What a service's DOWNSTREAM_UNAVAILABLE error says, from its definition in the registry. */
type UnavailableMessages = Readonly<Record<string, string>>;

const messagesOf = (services: readonly Pick<ServiceSettings, 'name' | 'unavailableMessage'>[]): UnavailableMessages =>
  Object.fromEntries(services.map((s) => [s.name, s.unavailableMessage]));

const REGISTRY_MESSAGES = messagesOf(SERVICE_SETTINGS);

/**
 * The parts of graphql-js's messages (validation, and the coercion of variables, which
 * happens at execution and so escapes Apollo's `ApolloServerPluginDisableSuggestions`)
 * that suggest names or describe the schema's input types, each with what is left once
 * they are gone. The messages still say which variable, field or value is wrong.
 */
const SCHEMA_HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  // didYouMean(): ' Did you mean "a", "b", or "c"?', also 'the enum value "X"', 'to use an inline fragment on "T"'.
  [/ Did you mean [^?]*\?/g, ''],
  // 'Field "x" is not defined by type "PlaceOrderInput".'
  [/ is not defined by type "[^"]*"/g, ' is not defined'],
  // 'Field "PlaceOrderInput.lines" of required type …' (validation of literals).
  [/Field "[_A-Za-z][_0-9A-Za-z]*\.([_A-Za-z][_0-9A-Za-z]*)"/g, 'Field "$1"'],
  // 'Field "lines" / Argument "first" / Variable "$input" of required type "[OrderLineInput!]!" was not provided.'
  [/ of required type "[^"]*"/g, ''],
  // 'Expected type "PlaceOrderInput" to be an object.'
  [/Expected type "[^"]*" to be an object/g, 'Expected an object'],
  // 'Expected value of type "OrderLineInput!", found null.'
  [/Expected value of type "[^"]*", found/g, 'Unexpected value'],
  // 'Value "X" does not exist in "OrderStatus" enum.'
  [/ does not exist in "[^"]*" enum/g, ' is not one of the allowed values'],
  // 'Variable "$x" of type "Int" used in position expecting type "PlaceOrderInput!".'
  [/ of type "[^"]*" used in position expecting type "[^"]*"/g, ' is used where its type does not fit'],
];

/** `message` without suggested names and input type names (production). */
export function withoutSchemaHints(message: string): string {
  return SCHEMA_HINTS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message);
}

export interface FormatErrorOptions {
  /**
   * Production: messages never suggest names ("Did you mean …?") nor name input types,
   * which would hand out the schema that disabled introspection hides. Codes, paths and
   * the rest of each message stay. Default `false`.
   */
  readonly production?: boolean;
  /** The services whose `unavailableMessage` DOWNSTREAM_UNAVAILABLE errors carry. Default `SERVICE_SETTINGS`. */
  readonly services?: readonly Pick<ServiceSettings, 'name' | 'unavailableMessage'>[];
}

/** `formatError` for Apollo Server, with production's wording where `production` is set. */
export function createFormatError({ production = false, services }: FormatErrorOptions = {}) {
  const messages = services ? messagesOf(services) : REGISTRY_MESSAGES;
  const format = (formatted: GraphQLFormattedError, error: unknown) => formatErrorWith(messages, formatted, error);
  if (!production) return format;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const out = format(formatted, error);
    const message = withoutSchemaHints(out.message);
    return message === out.message ? out : { ...out, message };
  };
}

/**
 * Turns what a resolver threw into the error a client sees. Expected errors keep their
 * code and safe message; everything else becomes INTERNAL_SERVER_ERROR with no
 * internals (the original is logged by the error-logging plugin).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  return formatErrorWith(REGISTRY_MESSAGES, formatted, error);
}

function formatErrorWith(messages: UnavailableMessages, formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
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
          message: messages[original.service] ?? 'A service is unavailable right now.',
          extensions: {
            code: ErrorCode.DOWNSTREAM_UNAVAILABLE,
            service: original.service,
            retryable: original.details.retryable ?? true,
          },
        };
    }
  }
  if (original instanceof DownstreamCallLimitError) {
    return {
      ...base,
      message: `This request reached its limit of ${original.limit} downstream calls (GRAPHQL_MAX_DOWNSTREAM_CALLS); ask for fewer fields or split the operation.`,
      // Not retryable: the same operation would reach the same limit.
      extensions: { code: ErrorCode.DOWNSTREAM_CALL_LIMIT, service: original.service, retryable: false },
    };
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
  if (original instanceof DownstreamError || original instanceof DownstreamCallLimitError || original instanceof AuthError) return true;
  if (original instanceof GraphQLError) {
    const code = original.extensions?.code;
    return typeof code === 'string' && PUBLIC_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR;
  }
  return false;
}
