import type { MoneyResolvers } from '../__generated__/resolvers-types.js';
import type { MoneyModel } from '../models.js';

// Building an Intl.NumberFormat costs far more than using one: keep one per currency.
const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string): Intl.NumberFormat {
  let f = formatters.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    } catch {
      // An unknown currency code from a downstream must not fail the field.
      f = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    formatters.set(currency, f);
  }
  return f;
}

/** Minor units and an ISO 4217 code (upper-cased: Stripe-style services send "eur"). */
export function money(amount: number, currency: string): MoneyModel {
  return { amount, currency: currency.toUpperCase() };
}

export const Money: MoneyResolvers = {
  formatted: ({ amount, currency }) => formatterFor(currency).format(amount / 100),
};
