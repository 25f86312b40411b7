import type { Env } from './env-helpers.js';

/**
 * Where a secret comes from. Only the reference is part of the config; `src/secrets/`
 * turns it into a live source (the file is re-read when it changes).
 */
export type SecretRef =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'file'; readonly path: string }
  /** Outside production only: a value the project made up (demo keys, random secrets). */
  | { readonly kind: 'default'; readonly value: string; readonly why: string };

/**
 * Reads secret setting `name` as either `NAME` or `NAME_FILE` (Docker / Kubernetes secret
 * mounts). Giving both is a mistake we report rather than silently pick one.
 */
export function readSecretRef(
  env: Env,
  name: string,
  problems: string[],
): SecretRef | undefined {
  const value = env[name]?.trim() ? env[name] : undefined;
  const file = env[`${name}_FILE`]?.trim() ? env[`${name}_FILE`]!.trim() : undefined;
  if (value !== undefined && file !== undefined) {
    problems.push(`${name} and ${name}_FILE are both set: give only one`);
    return undefined;
  }
  if (file !== undefined) return { kind: 'file', path: file };
  if (value !== undefined) return { kind: 'value', value };
  return undefined;
}
