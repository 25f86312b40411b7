/**
 * The JSON shapes every downstream service shares (docs/downstream.md); each
 * service's own DTOs live beside its client in `src/services/<name>/types.ts`.
 */

/** Every service's list answer. */
export interface ItemsDTO<T> {
  items: T[];
}

/** Every service's error body. */
export interface ErrorBodyDTO {
  error: { code: string; message: string };
}
