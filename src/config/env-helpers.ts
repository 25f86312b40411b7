import { z } from 'zod';

/** Raw environment, as handed to the loader (never read from `process.env` here). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Empty strings count as unset: `FOO=` in a compose file means "not given". */
export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** A positive whole number given as text, with a default. */
export const positiveInt = (fallback: number) =>
  optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a positive whole number')
      .transform(Number)
      .refine((n) => n > 0, 'must be greater than 0')
      .optional()
      .transform((n) => n ?? fallback),
  );

/** A comma-separated list; blanks dropped. */
export const commaList = optionalString.transform((v) =>
  v === undefined
    ? []
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
);

/** An absolute http(s) URL without credentials, normalised without a trailing slash. */
export const httpUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an absolute http:// or https:// URL without credentials')
  .transform((v) => v.replace(/\/+$/, ''));

/** A URL's origin (scheme://host[:port]), for Origin checks. */
export const originOf = (url: string): string => new URL(url).origin;

/** A whole number of at least 0 from `env[name]`, or `fallback` when unset (blank counts as unset). */
export function wholeNumberSetting(env: Env, name: string, fallback: number, problems: string[], zero?: string): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  // Bounded so that a typo cannot overflow a timer or a Redis counter.
  if (!/^\d{1,9}$/.test(raw)) {
    problems.push(`${name}: must be a whole number${zero ? ` (${zero})` : ''}`);
    return fallback;
  }
  return Number(raw);
}
