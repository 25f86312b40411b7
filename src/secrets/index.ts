import type { SecretManagerConfig, SecretRef } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { fileSecret, type FileSecretOptions } from './file-secret.js';
import type { SecretSource } from './secret-source.js';
import { staticSecret } from './static-secret.js';

export { fileSecret } from './file-secret.js';
export { secretEquals } from './secret-equals.js';
export { type SecretSource, secretList } from './secret-source.js';
export { staticSecret } from './static-secret.js';
export { type WatchedFile, watchFile, type WatchFileOptions } from './watched-file.js';

/** What opening managed secrets (`X_AWS_SECRET_ID`) needs besides the references. */
export interface ManagedSecretOptions {
  /** `config.secretManager`: the poll interval and the SDK client's settings. */
  readonly config: SecretManagerConfig;
  /** Log lines name the setting and the version id, never the value. */
  readonly logger: Logger;
  /** Clock for a value's age and the previous version's grace, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Spacing of asked-for reads (see `AwsSecretOptions`). Default `1000`. */
  readonly minReadIntervalMs?: number;
}

/**
 * Turns a config reference read at once (a value, a default, a file) into a live
 * source; `undefined` for one a manager holds (see `openSecrets`).
 */
export function openLocalSecret(ref: SecretRef, opts: FileSecretOptions = {}): SecretSource | undefined {
  switch (ref.kind) {
    case 'value':
      return staticSecret(ref.value, 'setting');
    case 'default':
      return staticSecret(ref.value, `default (${ref.why})`);
    case 'file':
      return fileSecret(ref.path, opts);
    case 'aws-secrets-manager':
      return undefined;
  }
}

/**
 * Opens several secrets at once and reports every one that cannot be read, so a
 * deployment with two bad mounts is fixed in one pass. Values and files are opened at
 * once; secrets in AWS Secrets Manager are read in parallel, through one SDK client
 * loaded only when there is one (so start-up without them costs nothing more).
 */
export async function openSecrets<T extends Record<string, SecretRef>>(
  refs: T,
  opts: FileSecretOptions & { managed?: ManagedSecretOptions } = {},
): Promise<{ [K in keyof T]: SecretSource }> {
  const problems: string[] = [];
  const out = {} as Record<string, SecretSource>;
  const managed: Array<[string, Extract<SecretRef, { kind: 'aws-secrets-manager' }>]> = [];
  for (const [name, ref] of Object.entries(refs)) {
    if (ref.kind === 'aws-secrets-manager') {
      managed.push([name, ref]);
      continue;
    }
    try {
      out[name] = openLocalSecret(ref, opts)!;
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  if (managed.length > 0) {
    const m = opts.managed;
    if (m?.config.aws === undefined) throw new Error('secrets in AWS Secrets Manager need config.secretManager.aws');
    const { openAwsSecrets } = await import('./aws-secrets-manager.js');
    const opened = await openAwsSecrets(
      managed.map(([, ref]) => ref),
      { client: m.config.aws, pollMs: m.config.pollMs, logger: m.logger, now: m.now, minReadIntervalMs: m.minReadIntervalMs },
    );
    for (const [i, result] of opened.entries()) {
      const [name, ref] = managed[i]!;
      if (result.status === 'fulfilled') out[name] = result.value;
      else problems.push(`${ref.setting}: ${(result.reason as Error).message}`);
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
