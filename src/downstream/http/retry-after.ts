/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): either a number of seconds or an
 * HTTP date. Returns milliseconds from `now`, or undefined when the header is absent or
 * unreadable (a malformed hint is ignored rather than trusted).
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP date format starts with a day name; Date.parse alone would take "-1" as a year.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
