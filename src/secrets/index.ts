import type { SecretRef } from '../config/index.js';
import { fileSecret, type FileSecretOptions } from './file-secret.js';
import type { SecretSource } from './secret-source.js';
import { staticSecret } from './static-secret.js';

export { fileSecret } from './file-secret.js';
export { secretEquals } from './secret-equals.js';
export { type SecretSource, secretList } from './secret-source.js';
export { staticSecret } from './static-secret.js';
export { type WatchedFile, watchFile, type WatchFileOptions } from './watched-file.js';

/**
 * Turns a config reference into a live source. A secrets manager would be one more
 * `kind` here, behind the same interface.
 */
export function openSecret(ref: SecretRef, opts: FileSecretOptions = {}): SecretSource {
  switch (ref.kind) {
    case 'value':
      return staticSecret(ref.value, 'setting');
    case 'default':
      return staticSecret(ref.value, `default (${ref.why})`);
    case 'file':
      return fileSecret(ref.path, opts);
  }
}

/**
 * Opens several secrets at once and reports every one that cannot be read, so a
 * deployment with two bad mounts is fixed in one pass.
 */
export function openSecrets<T extends Record<string, SecretRef>>(
  refs: T,
  opts: FileSecretOptions = {},
): { [K in keyof T]: SecretSource } {
  const problems: string[] = [];
  const out = {} as Record<string, SecretSource>;
  for (const [name, ref] of Object.entries(refs)) {
    try {
      out[name] = openSecret(ref, opts);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) {
    for (const s of Object.values<SecretSource>(out)) s.close();
    throw new SecretsError(problems);
  }
  return out as { [K in keyof T]: SecretSource };
}

export class SecretsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Secrets cannot be read:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SecretsError';
  }
}
