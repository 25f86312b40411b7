import type { SecretSource } from './secret-source.js';

/** A secret given directly as a setting (or a demo default): it never changes. */
export function staticSecret(value: string, description: string): SecretSource {
  return {
    description,
    current: () => value,
    refresh: async () => false,
    close: () => {},
  };
}
