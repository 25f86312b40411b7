import { badUserInput } from '../errors.js';

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
