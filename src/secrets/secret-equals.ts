import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares secrets in constant time (through digests, so lengths do not leak either). */
export function secretEquals(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
