import { describe, expect, it } from '@jest/globals';
import { formBody } from '../../../src/downstream/http/form.js';

describe('formBody', () => {
  it('encodes Stripe-style bracketed keys', () => {
    const body = formBody({ amount: 2598, currency: 'eur', metadata: { orderId: 'o 1&x=y' } });
    const parsed = new URLSearchParams(body);
    expect([...parsed]).toEqual([
      ['amount', '2598'],
      ['currency', 'eur'],
      ['metadata[orderId]', 'o 1&x=y'],
    ]);
  });

  it('leaves out undefined fields', () => {
    expect(formBody({ a: 'x', b: undefined })).toBe('a=x');
  });

  it('refuses nesting deeper than one level', () => {
    expect(() => formBody({ a: { b: { c: 1 } as never } })).toThrow(TypeError);
  });
});
