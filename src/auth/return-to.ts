/** Longest `returnTo` kept; anything longer is not a path a frontend would send. */
const MAX_LENGTH = 2048;
const BASE = 'http://bff.invalid';

/**
 * The local path to land on after sign-in, or `/`. Only a path on this site is accepted,
 * so `/auth/login?returnTo=` cannot be turned into an open redirect:
 * - it must start with exactly one `/` (`//host` is a protocol-relative URL);
 * - no backslash anywhere (browsers read `/\host` as `//host`);
 * - no control characters or whitespace (URL parsers drop tabs and newlines, so
 *   `/\t/host` would become `//host`);
 * - once resolved, it must still be on this origin and not start with `//` (dot
 *   segments: `/..//host`).
 * The result is the normalised path, query and fragment.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return '/';
  if (value[0] !== '/' || value[1] === '/' || value.includes('\\')) return '/';
  if (/[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(value)) return '/';
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return '/';
  }
  if (url.origin !== BASE || url.pathname.startsWith('//')) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
