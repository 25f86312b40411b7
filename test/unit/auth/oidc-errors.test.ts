import { describe, expect, it } from '@jest/globals';
import { ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { classify, OidcError } from '../../../src/auth/oidc-client.js';

// openid-client's error classes, built the way it builds them, so the mapping is pinned
// without an IdP (the integration suite covers the real answers).
const bodyError = (status: number, error: string) =>
  new ResponseBodyError('server responded with an error in the response body', {
    cause: { error },
    response: new Response(null, { status }),
  });

describe('classify', () => {
  it.each([
    ['invalid_grant in a 400 body', bodyError(400, 'invalid_grant'), 'invalid_grant'],
    ['server_error in a 500 body', bodyError(500, 'server_error'), 'unavailable'],
    ['temporarily_unavailable', bodyError(400, 'temporarily_unavailable'), 'unavailable'],
    ['invalid_client', bodyError(401, 'invalid_client'), 'rejected'],
    ['a network failure (fetch TypeError)', new TypeError('fetch failed'), 'unavailable'],
    ['a timeout', new ClientError('operation timed out', { code: 'OAUTH_TIMEOUT' } as ErrorOptions), 'unavailable'],
    ['a non-JSON answer', new ClientError('unexpected response content-type', { code: 'OAUTH_RESPONSE_IS_NOT_JSON' } as ErrorOptions), 'unavailable'],
    ['a failed ID token check', new ClientError('unexpected JWT claim value encountered', { code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' } as ErrorOptions), 'rejected'],
    ['an abort DOMException', new DOMException('aborted', 'TimeoutError'), 'unavailable'],
    ['anything else', new Error('boom'), 'rejected'],
  ])('maps %s to %s', (_name, err, kind) => {
    const out = classify(err);
    expect(out).toBeInstanceOf(OidcError);
    expect(out.kind).toBe(kind);
  });

  it('maps a 5xx non-conform response to unavailable and a 4xx one to rejected', () => {
    const nonConform = (status: number) =>
      new ClientError('unexpected HTTP response status code', {
        cause: new Response(null, { status }),
        code: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      } as ErrorOptions);
    expect(classify(nonConform(502)).kind).toBe('unavailable');
    expect(classify(nonConform(404)).kind).toBe('rejected');
  });

  it('reads the error code of a WWW-Authenticate challenge', () => {
    const err = new WWWAuthenticateChallengeError('challenge', {
      cause: [{ scheme: 'basic', parameters: { error: 'invalid_client' } }],
      response: new Response(null, { status: 401 }),
    } as never);
    expect(classify(err)).toMatchObject({ kind: 'rejected', oauthError: 'invalid_client' });
  });

  it('keeps messages free of what the IdP said', () => {
    const out = classify(bodyError(400, 'invalid_grant'));
    expect(out.message).toBe('The grant is no longer valid.');
  });
});
