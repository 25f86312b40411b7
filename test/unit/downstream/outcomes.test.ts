import { describe, expect, it } from '@jest/globals';
import { DownstreamError } from '../../../src/downstream/errors.js';
import { statusError, transportError } from '../../../src/downstream/http/outcomes.js';

describe('statusError', () => {
  it('maps 404 to not_found', () => {
    const e = statusError('catalog', 404, undefined, undefined);
    expect(e).toBeInstanceOf(DownstreamError);
    expect([e.service, e.failure, e.details.status]).toEqual(['catalog', 'not_found', 404]);
  });

  it.each([400, 422])('maps %i to bad_input with the service message and field', (status) => {
    const e = statusError('orders', status, { error: { code: 'BAD', message: 'quantity must be positive', field: 'lines.0.quantity' } }, undefined);
    expect(e.failure).toBe('bad_input');
    expect(e.message).toBe('quantity must be positive');
    expect(e.details.field).toBe('lines.0.quantity');
  });

  it("takes Stripe's `param` as the field", () => {
    const e = statusError('payments', 400, { error: { message: 'Invalid currency', param: 'currency' } }, undefined);
    expect(e.details.field).toBe('currency');
  });

  it('falls back to a generic message and cuts long ones', () => {
    expect(statusError('orders', 422, 'not an object', undefined).message).toBe('The orders service rejected the input');
    expect(statusError('orders', 422, { error: { message: 'x'.repeat(1000) } }, undefined).message.length).toBeLessThan(310);
  });

  it.each([500, 502, 503, 504, 408, 429])('maps %i to retryable unavailable', (status) => {
    const e = statusError('reviews', status, undefined, 1000);
    expect(e.failure).toBe('unavailable');
    expect(e.details.retryable).toBe(true);
    expect(e.details.retryAfterMs).toBe(1000);
  });

  it.each([401, 403, 405, 409, 301, 302])('maps %i to unavailable that retrying cannot fix', (status) => {
    const e = statusError('payments', status, undefined, undefined);
    expect(e.failure).toBe('unavailable');
    expect(e.details.retryable).toBe(false);
  });
});

describe('transportError', () => {
  const coded = (code: string) => Object.assign(new Error(code), { code });

  it('maps undici timeouts and our own timer to a retryable timeout', () => {
    for (const e of [
      transportError('catalog', coded('UND_ERR_HEADERS_TIMEOUT'), undefined),
      transportError('catalog', coded('UND_ERR_BODY_TIMEOUT'), undefined),
      transportError('catalog', new Error('aborted'), 'timeout'),
    ]) {
      expect(e.message).toBe('The catalog service did not answer in time');
      expect(e.details.retryable).toBe(true);
    }
  });

  it("maps a timeout of an attempt bounded by the request's deadline to the BFF's own limit (not the service failing)", () => {
    for (const e of [
      transportError('catalog', coded('UND_ERR_HEADERS_TIMEOUT'), undefined, true),
      transportError('catalog', new Error('aborted'), 'timeout', true),
    ]) {
      expect(e.message).toBe("The catalog service did not answer within the request's time");
      expect(e.details.ownLimit).toBe(true);
      // The client may try again later: a slow service may answer in time then.
      expect(e.details.retryable).toBe(true);
    }
    // Within the request's deadline, a reset is still the service's.
    const reset = transportError('catalog', coded('ECONNRESET'), undefined, true);
    expect(reset.details.retryable).toBe(true);
    expect(reset.details.ownLimit).toBeUndefined();
  });

  it('maps resets and refusals to retryable unavailable', () => {
    expect(transportError('orders', coded('ECONNRESET'), undefined).details.retryable).toBe(true);
    expect(transportError('orders', coded('UND_ERR_SOCKET'), undefined).details.retryable).toBe(true);
  });

  it('does not retry our own limits, shutdown or the caller cancelling', () => {
    expect(transportError('orders', coded('UND_ERR_RES_EXCEEDED_MAX_SIZE'), undefined).details.retryable).toBe(false);
    expect(transportError('orders', coded('UND_ERR_DESTROYED'), undefined).details.retryable).toBe(false);
    expect(transportError('orders', new Error('x'), 'cancelled').details.retryable).toBe(false);
  });

  it('keeps the low-level error only as the cause, never in the message', () => {
    const cause = coded('ECONNREFUSED');
    const e = transportError('payments', cause, undefined);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe('The payments service is unavailable');
  });

  it('passes a DownstreamError through', () => {
    const e = statusError('catalog', 404, undefined, undefined);
    expect(transportError('catalog', e, undefined)).toBe(e);
  });
});
