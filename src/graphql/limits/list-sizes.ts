import { MAX_BATCH_SIZE } from '../../config/defaults.js';

/**
 * How long a list field's answer may be, and which argument says so: the one table the
 * resolvers enforce (a larger size is BAD_USER_INPUT naming the argument) and the cost
 * estimator multiplies by, so the two can never disagree.
 *
 * Each maximum is at most 100 and no more than the downstream service's own page size
 * (see the downstream contract): search `limit` 1..50, `GET /me/orders?limit=` 1..100,
 * batches of at most 100 ids. Reviews come in one batch per product set; 50 per product
 * is more than any screen shows.
 */
export interface ListSize {
  /** The argument that sizes the list. */
  readonly argument: string;
  /** Whether the argument is a list of ids (its length counts) rather than a count. */
  readonly kind: 'count' | 'ids';
  /** The smallest count the resolver accepts (counts only). */
  readonly min: number;
  /** The largest size the resolver accepts, and what the estimator assumes when the size is unknown. */
  readonly max: number;
}

export const LIST_SIZES = {
  'Query.searchProducts': { argument: 'first', kind: 'count', min: 1, max: 50 },
  'Query.products': { argument: 'ids', kind: 'ids', min: 0, max: MAX_BATCH_SIZE },
  'Viewer.orders': { argument: 'first', kind: 'count', min: 1, max: 100 },
  'Product.reviews': { argument: 'first', kind: 'count', min: 0, max: 50 },
} as const satisfies Record<string, ListSize>;

export type SizedListField = keyof typeof LIST_SIZES;
