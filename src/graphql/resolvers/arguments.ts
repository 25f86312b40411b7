import { badUserInput } from '../errors.js';
import { LIST_SIZES, type SizedListField } from '../limits/list-sizes.js';

/**
 * Argument checks shared by resolvers. Each names the argument a client must fix, so
 * the error is actionable (`extensions.field`).
 */
export function intInRange(field: string, value: number | null | undefined, min: number, max: number, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw badUserInput(field, `${field} must be a whole number from ${min} to ${max}.`);
  }
  return v;
}

/** A non-empty id list of bounded length; ids themselves bounded so no one sends a megabyte id. */
export function idList(field: string, ids: readonly string[], max: number): readonly string[] {
  if (ids.length > max) throw badUserInput(field, `${field} may hold at most ${max} ids.`);
  ids.forEach((id, i) => checkId(`${field}[${i}]`, id));
  return ids;
}

export const MAX_ID_LENGTH = 128;

export function checkId(field: string, id: string): string {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw badUserInput(field, `${field} must be 1 to ${MAX_ID_LENGTH} characters.`);
  }
  return id;
}

/**
 * The size argument of a list field, checked against `LIST_SIZES` (the table the cost
 * estimator uses too): a count within its range, or an id list of at most `max` ids.
 */
export function sizeArgument(field: Exclude<SizedListField, 'Query.products'>, value: number | null | undefined, fallback: number): number {
  const { argument, min, max } = LIST_SIZES[field];
  return intInRange(argument, value, min, max, fallback);
}

/** The `ids` argument of `Query.products`, at most `LIST_SIZES['Query.products'].max` ids. */
export function idsArgument(ids: readonly string[]): readonly string[] {
  const { argument, max } = LIST_SIZES['Query.products'];
  return idList(argument, ids, max);
}
