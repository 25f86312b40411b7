/**
 * Building request targets from values a user chose (ids, search text). Every value is
 * percent-encoded so that it stays one path segment or one query value: an id like
 * `../admin` or `a?b#c` must never address a different resource of the service.
 */

import { MAX_BATCH_SIZE } from '../../config/defaults.js';

/** Lone UTF-16 surrogates: `encodeURIComponent` throws on them (valid pairs are not matched under `u`). */
const LONE_SURROGATE = /\p{Surrogate}/gu;

/**
 * `encodeURIComponent` that never throws: a lone surrogate (possible in a JSON string)
 * becomes U+FFFD, so such an id is simply not found instead of failing the whole batch.
 */
export function encodeValue(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD'));
  }
}

/**
 * Encodes one path segment. Besides `/`, `?`, `#` and `%`, the dot segments `.` and `..`
 * are encoded too: left as they are, servers and proxies resolve them (`/items/..` is
 * `/`), and `encodeURIComponent` leaves dots alone.
 */
export function pathSegment(value: string): string {
  // An empty segment would address the collection (`/v1/payment_intents/`), not an item.
  if (value.length === 0) throw new TypeError('a path segment must not be empty');
  if (value === '.') return '%2E';
  if (value === '..') return '%2E%2E';
  return encodeValue(value);
}

/**
 * Tagged template for paths: every interpolated value is encoded as one segment.
 *
 * ```ts
 * path`/v1/payment_intents/${id}` // id "../x" → "/v1/payment_intents/..%2Fx"
 * ```
 */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += pathSegment(values[i]!) + strings[i + 1]!;
  return out;
}

/**
 * One comma-separated list query value, as the contract's batch endpoints take it
 * (`ids=p1,p2`). Each id is encoded on its own, so a comma inside an id stays part of it
 * (`%2C`) and the separators stay literal.
 */
export function listValue(ids: readonly string[]): string {
  let out = '';
  for (let i = 0; i < ids.length; i++) out += (i === 0 ? '' : ',') + encodeValue(ids[i]!);
  return out;
}

/** The contract's limit on ids per batch request (one constant, in config/defaults.ts). */
export { MAX_BATCH_SIZE };

/** A `maxBatchSize` option, checked once at construction: 1 to 100, default 100. */
export function checkBatchSize(value: number | undefined): number {
  const size = value ?? MAX_BATCH_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new RangeError(`maxBatchSize must be an integer from 1 to ${MAX_BATCH_SIZE}`);
  }
  return size;
}

/** Splits `items` into consecutive chunks of at most `size` (the last may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('chunk size must be a positive integer');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Fetches a list of ids in batches of at most `maxBatchSize`, all batches in parallel
 * (the service's bulkhead bounds how many run at once), and merges their `items`.
 *
 * All or nothing: if one batch fails the call fails, so a DataLoader puts the error in
 * every key's slot rather than reporting some keys as absent. No request is made for an
 * empty list. Callers (DataLoader) deduplicate the ids.
 */
export async function fetchInBatches<T>(
  ids: readonly string[],
  maxBatchSize: number,
  fetchBatch: (batch: readonly string[]) => Promise<T[]>,
): Promise<T[]> {
  if (ids.length === 0) return [];
  // The common case (one DataLoader tick, under the limit) allocates nothing extra.
  if (ids.length <= maxBatchSize) return fetchBatch(ids);
  const pages = await Promise.all(chunk(ids, maxBatchSize).map(fetchBatch));
  return pages.flat();
}
