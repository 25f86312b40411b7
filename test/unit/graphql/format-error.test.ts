import { describe, expect, it } from '@jest/globals';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AuthError } from '../../../src/auth/errors.js';
import { DownstreamCallLimitError, DownstreamError } from '../../../src/downstream/errors.js';
import { formatError, isExpectedError } from '../../../src/graphql/errors.js';

/** What Apollo hands formatError for an error thrown in a resolver. */
function fromResolver(original: Error): [GraphQLFormattedError, unknown] {
  const wrapped = new GraphQLError(original.message, { path: ['me', 'orders'], originalError: original });
  return [{ message: original.message, path: ['me', 'orders'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, wrapped];
}

describe('formatError', () => {
  it('maps a call past the request’s bound to DOWNSTREAM_CALL_LIMIT naming the limit, not retryable', () => {
    const err = new DownstreamCallLimitError('catalog', 50);
    const out = formatError(...fromResolver(err));
    expect(out.message).toContain('limit of 50 downstream calls (GRAPHQL_MAX_DOWNSTREAM_CALLS)');
    expect(out.extensions).toEqual({ code: 'DOWNSTREAM_CALL_LIMIT', service: 'catalog', retryable: false });
    expect(isExpectedError(fromResolver(err)[1])).toBe(true);
  });

  it('names the service of an unavailable downstream, with a retry hint, and nothing else of it', () => {
    const err = new DownstreamError('reviews', 'unavailable', 'reviews answered 503', {
      status: 503,
      retryable: true,
      cause: new Error('connect ECONNREFUSED 10.0.0.7:8080 body={"secret":"x"}'),
    });
    const out = formatError(...fromResolver(err));
    expect(out).toEqual({
      message: 'Reviews are unavailable right now.',
      path: ['me', 'orders'],
      locations: undefined,
      extensions: { code: 'DOWNSTREAM_UNAVAILABLE', service: 'reviews', retryable: true },
    });
    expect(JSON.stringify(out)).not.toMatch(/503|10\.0\.0\.7|secret/);
  });

  it('turns a downstream 422 into BAD_USER_INPUT naming the field', () => {
    const err = new DownstreamError('orders', 'bad_input', 'Unknown product p9', { status: 422, field: 'lines[0].productId' });
    expect(formatError(...fromResolver(err)).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'lines[0].productId' });
  });

  it('turns a downstream 404 into NOT_FOUND', () => {
    const err = new DownstreamError('payments', 'not_found', 'no such intent', { status: 404 });
    expect(formatError(...fromResolver(err)).extensions).toEqual({ code: 'NOT_FOUND' });
  });

  it('keeps UNAUTHENTICATED and reports an unavailable IdP as retryable', () => {
    expect(formatError(...fromResolver(new AuthError('UNAUTHENTICATED'))).extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect(formatError(...fromResolver(new AuthError('IDP_UNAVAILABLE'))).extensions).toMatchObject({
      code: 'DOWNSTREAM_UNAVAILABLE',
      retryable: true,
    });
  });

  it('masks anything unexpected as INTERNAL_SERVER_ERROR with no internals', () => {
    const out = formatError(...fromResolver(new TypeError("Cannot read properties of undefined (reading 'token')")));
    expect(out.message).toBe('Internal server error.');
    expect(out.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(isExpectedError(new GraphQLError('x', { originalError: new TypeError('boom') }))).toBe(false);
  });

  it('passes request errors through but drops a stack trace', () => {
    const out = formatError(
      { message: 'Syntax Error: Expected Name', extensions: { code: 'GRAPHQL_PARSE_FAILED', stacktrace: ['at parse'] } },
      new GraphQLError('Syntax Error: Expected Name'),
    );
    expect(out).toEqual({ message: 'Syntax Error: Expected Name', extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  });

  it('does not let a resolver fake a public code on an internal error', () => {
    const out = formatError({ message: 'db password is hunter2', extensions: { code: 'INTERNAL_SERVER_ERROR' } }, new Error('x'));
    expect(out.message).toBe('Internal server error.');
  });
});
