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

/** Most formatted amounts remembered per currency before that currency's memo starts over. */
const MEMO_MAX = 4096;
/** Most currencies with a memo (a service sending many codes must not grow it without end). */
const MEMO_CURRENCIES = 64;
const memos = new Map<string, Map<number, string>>();

/**
 * `formatterFor(currency).format(amount / 100)`, remembered. Formatting costs about
 * 0.75 µs (ICU), a lookup 0.02 µs, and a page repeats the same prices (a dashboard has
 * dozens of Money fields, most of them a few catalog prices). Bounded: a currency's memo
 * is dropped whole when it reaches `MEMO_MAX` amounts (cheaper than an LRU, and a cold
 * memo only costs the formatting again); the output is the same string either way.
 */
function formatMinorUnits(amount: number, currency: string): string {
  let memo = memos.get(currency);
  if (memo === undefined) {
    if (memos.size >= MEMO_CURRENCIES) memos.clear();
    memos.set(currency, (memo = new Map()));
  }
  let text = memo.get(amount);
  if (text === undefined) {
    text = formatterFor(currency).format(amount / 100);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(amount, text);
  }
  return text;
}

/** Minor units and an ISO 4217 code (upper-cased: Stripe-style services send "eur"). */
export function money(amount: number, currency: string): MoneyModel {
  return { amount, currency: currency.toUpperCase() };
}

export const Money: MoneyResolvers = {
  formatted: ({ amount, currency }) => formatMinorUnits(amount, currency),
};
