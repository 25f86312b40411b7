import { describe, expect, it } from '@jest/globals';
import { Money, money } from '../../../src/graphql/resolvers/money.js';

const format = (amount: number, currency: string) =>
  (Money.formatted as (m: { amount: number; currency: string }) => string)(money(amount, currency));

describe('Money', () => {
  it('upper-cases the currency of Stripe-style amounts', () => {
    expect(money(2598, 'eur')).toEqual({ amount: 2598, currency: 'EUR' });
  });
  it('formats minor units for people', () => {
    expect(format(1299, 'EUR')).toBe('€12.99');
    expect(format(5, 'usd')).toBe('$0.05');
  });
  it('does not fail on a currency code Intl does not know', () => {
    expect(format(1234, 'X1')).toBe('12.34');
  });
});
