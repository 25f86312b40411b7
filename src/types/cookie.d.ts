/**
 * cookie 0.7 (the version express and express-session use) ships no types. Only what the
 * BFF uses; cookie 1.x ships its own types with the same `parse`, so this file goes when
 * it is upgraded.
 */
declare module 'cookie' {
  export interface ParseOptions {
    /** Decodes each value. Default `decodeURIComponent` (a value it cannot decode is kept as is). */
    decode?(value: string): string;
  }

  /**
   * Parses a `Cookie` header (or the `name=value; Attr=…` pairs of one `Set-Cookie` line)
   * into an object of names to values; the first of repeated names wins.
   */
  export function parse(header: string, options?: ParseOptions): Record<string, string | undefined>;

  const cookie: { parse: typeof parse };
  export default cookie;
}
