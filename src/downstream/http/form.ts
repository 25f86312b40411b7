/** A value of a form field; a plain object becomes bracketed keys, as Stripe expects. */
export type FormValue = string | number | boolean | Readonly<Record<string, string | number | boolean>>;

/**
 * Encodes a Stripe-style form body (`application/x-www-form-urlencoded`):
 * `{ amount: 2598, metadata: { orderId: 'o1' } }` → `amount=2598&metadata%5BorderId%5D=o1`
 * (`metadata[orderId]=o1` once decoded). `undefined` fields are left out. One level of
 * nesting is all the contract needs; deeper objects are refused rather than mangled.
 */
export function formBody(fields: Readonly<Record<string, FormValue | undefined>>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (typeof inner === 'object') throw new TypeError(`form field ${name}[${key}] is nested too deeply`);
        form.append(`${name}[${key}]`, String(inner));
      }
    } else {
      form.append(name, String(value));
    }
  }
  return form.toString();
}
