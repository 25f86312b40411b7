import { type Env, httpUrl, wholeNumberSetting } from './env-helpers.js';

/**
 * Where a secret comes from. Only the reference is part of the config; `src/secrets/`
 * turns it into a live source (the file is re-read when it changes, the manager polled).
 */
export type SecretRef =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'file'; readonly path: string }
  /**
   * `X_AWS_SECRET_ID`: a secret in AWS Secrets Manager, by name or ARN; `jsonKey` (after
   * a `#`) picks one field of a secret stored as a JSON object.
   */
  | {
      readonly kind: 'aws-secrets-manager';
      /** The setting it came from (`CATALOG_API_KEY_AWS_SECRET_ID`), naming it in errors and logs. */
      readonly setting: string;
      readonly secretId: string;
      readonly jsonKey: string | undefined;
    }
  /** Outside production only: a value the project made up (demo keys, random secrets). */
  | { readonly kind: 'default'; readonly value: string; readonly why: string };

/** The ways secret setting `NAME` may be given, in the words of an error message. */
export const secretSettingForms = (name: string) => `${name} (or ${name}_FILE or ${name}_AWS_SECRET_ID)`;

/**
 * Reads secret setting `name` as `NAME`, `NAME_FILE` (Docker / Kubernetes secret mounts)
 * or `NAME_AWS_SECRET_ID` (`<name or ARN>[#<json key>]`). Giving more than one is a
 * mistake we report rather than silently pick one.
 */
export function readSecretRef(
  env: Env,
  name: string,
  problems: string[],
): SecretRef | undefined {
  const given = (setting: string) => (env[setting]?.trim() ? env[setting] : undefined);
  const value = given(name);
  const file = given(`${name}_FILE`)?.trim();
  const awsSetting = `${name}_AWS_SECRET_ID`;
  const aws = given(awsSetting)?.trim();
  const set = [value && name, file && `${name}_FILE`, aws && awsSetting].filter(Boolean);
  if (set.length > 1) {
    const names = set.length === 2 ? `${set[0]} and ${set[1]} are both` : `${set[0]}, ${set[1]} and ${set[2]} are all`;
    problems.push(`${names} set: give only one`);
    return undefined;
  }
  if (aws !== undefined) {
    // Secret names and ARNs cannot contain `#` (AWS allows letters, digits and /_+=.@-).
    const [secretId, ...rest] = aws.split('#');
    const jsonKey = rest.length > 0 ? rest.join('#') : undefined;
    if (!secretId || jsonKey === '') {
      problems.push(`${awsSetting}: must be a secret name or ARN, optionally followed by #<json key>`);
      return undefined;
    }
    return { kind: 'aws-secrets-manager', setting: awsSetting, secretId, jsonKey };
  }
  if (file !== undefined) return { kind: 'file', path: file };
  if (value !== undefined) return { kind: 'value', value };
  return undefined;
}

/** How secrets kept in a secrets manager are read and kept fresh. */
export interface SecretManagerConfig {
  /**
   * `SECRET_MANAGER_POLL_MS`: how often each managed secret is re-read, in ms (besides
   * the re-read a refused call asks for). Default `300000` (5 minutes).
   */
  readonly pollMs: number;
  /**
   * `SECRET_MANAGER_MAX_AGE_MS`: while the manager cannot be reached the last good
   * value stays in use; `/readyz` fails (`secrets-manager`) once a value was last
   * confirmed longer ago than this, in ms. At least `SECRET_MANAGER_POLL_MS`. Default
   * `900000` (15 minutes: three missed polls).
   */
  readonly maxAgeMs: number;
  /**
   * The AWS SDK's client settings, read here (only when some `X_AWS_SECRET_ID` is set)
   * so that nothing else reads the environment. What is left undefined the SDK resolves
   * through its own standard chain (shared config files, `AWS_PROFILE`, web identity,
   * container and instance metadata credentials).
   */
  readonly aws: AwsClientConfig | undefined;
}

export interface AwsClientConfig {
  /** `AWS_REGION`, else `AWS_DEFAULT_REGION`; undefined: the SDK's chain (profile). */
  readonly region: string | undefined;
  /**
   * `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL` (the SDK's standard
   * overrides): a VPC endpoint, a test server. Undefined: the region's public endpoint.
   */
  readonly endpoint: string | undefined;
  /**
   * `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) when given;
   * undefined: the SDK's default credential chain. Never log it.
   */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | undefined;
}

export const SECRET_MANAGER_DEFAULTS = { pollMs: 300_000, maxAgeMs: 900_000 } as const;

/** Reads the secrets-manager settings; `refs` are every secret's reference, to know whether AWS is in use. */
export function readSecretManager(
  env: Env,
  refs: ReadonlyArray<SecretRef | undefined>,
  problems: string[],
  o: { production: boolean },
): SecretManagerConfig {
  const positive = (name: string, fallback: number) => {
    const n = wholeNumberSetting(env, name, fallback, problems);
    if (n === 0) problems.push(`${name}: must be greater than 0`);
    return n;
  };
  const pollMs = positive('SECRET_MANAGER_POLL_MS', SECRET_MANAGER_DEFAULTS.pollMs);
  const maxAgeMs = positive('SECRET_MANAGER_MAX_AGE_MS', Math.max(SECRET_MANAGER_DEFAULTS.maxAgeMs, 3 * pollMs));
  if (maxAgeMs < pollMs) problems.push('SECRET_MANAGER_MAX_AGE_MS must be at least SECRET_MANAGER_POLL_MS');
  if (!refs.some((r) => r?.kind === 'aws-secrets-manager')) return { pollMs, maxAgeMs, aws: undefined };

  const text = (name: string) => env[name]?.trim() || undefined;
  const endpointSetting = text('AWS_ENDPOINT_URL_SECRETS_MANAGER') ? 'AWS_ENDPOINT_URL_SECRETS_MANAGER' : 'AWS_ENDPOINT_URL';
  let endpoint = text(endpointSetting);
  if (endpoint !== undefined) {
    const parsed = httpUrl.safeParse(endpoint);
    if (!parsed.success) {
      problems.push(`${endpointSetting}: must be an absolute http:// or https:// URL without credentials`);
      endpoint = undefined;
    } else if (o.production && !parsed.data.startsWith('https:')) {
      // The secrets travel over it.
      problems.push(`${endpointSetting} must be https:// in production`);
    } else {
      endpoint = parsed.data;
    }
  }
  const accessKeyId = text('AWS_ACCESS_KEY_ID');
  const secretAccessKey = text('AWS_SECRET_ACCESS_KEY');
  const sessionToken = text('AWS_SESSION_TOKEN');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: give both or neither');
  }
  const credentials =
    accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : undefined;
  return {
    pollMs,
    maxAgeMs,
    aws: { region: text('AWS_REGION') ?? text('AWS_DEFAULT_REGION'), endpoint, credentials },
  };
}
