import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsClientConfig } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { changeWaiters } from './change-waiters.js';
import type { SecretSource } from './secret-source.js';

/**
 * AWS Secrets Manager as a secret source (`X_AWS_SECRET_ID`), read with the official SDK.
 * Loaded with `import()` only when such a setting is given, so a deployment with values
 * and files never loads the SDK.
 */

/** The part of the SDK client a source uses (one client is shared by every secret). */
export interface SecretsManagerLike {
  send(command: DescribeSecretCommand | GetSecretValueCommand): Promise<unknown>;
}

/**
 * The SDK client for `config`: what config left undefined (region, credentials) the SDK
 * resolves through its own standard chain, which reads the shared config files, AWS_*
 * variables, web identity and container / instance metadata itself.
 */
export function createSecretsManagerClient(config: AwsClientConfig): SecretsManagerClient {
  return new SecretsManagerClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    // A hung endpoint must not hold start-up or a poll for long; the SDK retries (3 attempts).
    requestHandler: { connectionTimeout: 3000, requestTimeout: 5000 },
  });
}

export interface AwsSecretOptions {
  /** The setting (`CATALOG_API_KEY_AWS_SECRET_ID`), for errors and log lines. */
  readonly setting: string;
  /** Name or ARN. */
  readonly secretId: string;
  /** A field of a secret stored as a JSON object; undefined: the whole `SecretString`. */
  readonly jsonKey?: string | undefined;
  readonly client: SecretsManagerLike;
  /** How often the secret is re-read, in ms. See `SECRET_MANAGER_POLL_MS`. */
  readonly pollMs: number;
  /**
   * Reads asked for by refused calls (`refresh`) and by callers waiting for a rotation
   * (`waitForChange`) are at least this far apart, in ms, however many calls ask: the
   * manager is never called once per request. Default `1000`.
   */
  readonly minReadIntervalMs?: number;
  /** Clock for the value's age (`lastConfirmedAt`) and the previous version's grace, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** A new `AWSCURRENT` version is in use. Gets the version id, never the value. */
  readonly onChange?: (info: { setting: string; versionId: string }) => void;
  /** A read after start-up failed; the last good value stays. Called on the first failure of a run of them. */
  readonly onError?: (info: { setting: string; reason: string }) => void;
  /** A read succeeded again after `onError`. */
  readonly onRecover?: (info: { setting: string }) => void;
}

/** Why a secret cannot be used, in words an operator can act on (never the value). */
export class SecretReadError extends Error {
  override readonly name = 'SecretReadError';
}

const DEFAULT_MIN_READ_INTERVAL_MS = 1000;

interface Version {
  readonly id: string;
  readonly value: string;
}

interface Held {
  readonly current: Version;
  readonly previous: Version | undefined;
  /** When `current` replaced `previous` (its creation date, or when this process first saw it). */
  readonly since: number;
}

/**
 * A secret in AWS Secrets Manager, read once at start-up (rejects with a `SecretReadError`
 * naming the reason), then kept in memory: `AWSCURRENT` is `current()`, `AWSPREVIOUS` is
 * `previous()`, the value a refused call may fall back to under the rules of file rotation
 * (`SecretCredential`). A read asks `DescribeSecret` which versions carry the stages and
 * fetches values (`GetSecretValue`) only when those changed. Reads happen every `pollMs`,
 * on `refresh()` and while someone waits for a rotation, never more than one at a time
 * and, for the last two, never closer than `minReadIntervalMs`. When the manager cannot
 * be reached or the new version is unusable, the last good value stays in use.
 */
export async function openAwsSecret(opts: AwsSecretOptions): Promise<SecretSource> {
  const now = opts.now ?? Date.now;
  const minReadIntervalMs = opts.minReadIntervalMs ?? DEFAULT_MIN_READ_INTERVAL_MS;
  const what = `secret ${opts.secretId}`;

  /** One version's value (the whole text, or the JSON key) and when it was created. */
  const fetchVersion = async (versionId: string): Promise<Version & { createdAt: number | undefined }> => {
    let out: { SecretString?: string; CreatedDate?: Date };
    try {
      out = (await opts.client.send(new GetSecretValueCommand({ SecretId: opts.secretId, VersionId: versionId }))) as typeof out;
    } catch (err) {
      throw new SecretReadError(reasonOf(err, what));
    }
    const version = `${what} (version ${versionId})`;
    const text = out.SecretString;
    if (text === undefined) throw new SecretReadError(`${version} has no text value (binary secrets are not supported)`);
    let value = text;
    if (opts.jsonKey !== undefined) {
      const key = opts.jsonKey;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new SecretReadError(`${version} is not a JSON object, so it has no key "${key}"`);
      }
      const field = (parsed as Record<string, unknown>)[key];
      if (field === undefined) throw new SecretReadError(`${version} has no JSON key "${key}"`);
      if (typeof field !== 'string') throw new SecretReadError(`${version}: JSON key "${key}" is not a string`);
      value = field;
    }
    if (value.trim() === '') throw new SecretReadError(`${version}${opts.jsonKey === undefined ? '' : `: JSON key "${opts.jsonKey}"`} is empty`);
    return { id: versionId, value, createdAt: out.CreatedDate?.getTime() };
  };

  /** Reads the stages and, when they moved, the values; resolves to what should be held. */
  const read = async (held: Held | undefined): Promise<Held> => {
    let described: { VersionIdsToStages?: Record<string, string[]>; DeletedDate?: Date };
    try {
      described = (await opts.client.send(new DescribeSecretCommand({ SecretId: opts.secretId }))) as typeof described;
    } catch (err) {
      throw new SecretReadError(reasonOf(err, what));
    }
    if (described.DeletedDate !== undefined) throw new SecretReadError(`${what} is scheduled for deletion`);
    const stages = Object.entries(described.VersionIdsToStages ?? {});
    const currentId = stages.find(([, s]) => s.includes('AWSCURRENT'))?.[0];
    const previousId = stages.find(([, s]) => s.includes('AWSPREVIOUS'))?.[0];
    if (currentId === undefined) throw new SecretReadError(`${what} has no AWSCURRENT version`);
    if (held && held.current.id === currentId && held.previous?.id === previousId) return held;
    const known = (id: string) => [held?.current, held?.previous].find((v) => v?.id === id);
    const fetched = known(currentId) === undefined ? await fetchVersion(currentId) : undefined;
    const current = known(currentId) ?? { id: currentId, value: fetched!.value };
    // The previous version is a fallback only: one that cannot be used (another shape)
    // leaves none, and never stops the current one from being used.
    const previous =
      previousId === undefined
        ? undefined
        : (known(previousId) ?? (await fetchVersion(previousId).then(({ id, value }) => ({ id, value }), () => undefined)));
    // At start-up the current version has been current since about its creation; a
    // change seen later, since now.
    const since = held === undefined ? (fetched?.createdAt ?? now()) : held.current.id === currentId ? held.since : now();
    return { current, previous, since };
  };

  const held = await read(undefined);
  return managedSource(held, read, { ...opts, now, minReadIntervalMs, description: `AWS Secrets Manager ${what}` });
}

/** The live source over `read`: the polling, the single flight, the waiters. */
function managedSource(
  first: Held,
  read: (held: Held) => Promise<Held>,
  o: AwsSecretOptions & { now: () => number; minReadIntervalMs: number; description: string },
): SecretSource {
  let held = first;
  let confirmedAt = o.now();
  let failing = false;
  let reading: Promise<void> | undefined;
  /** Monotonic time the last read started, for the spacing of asked-for reads. */
  let lastReadStart = performance.now();

  const readNow = (): Promise<void> => {
    reading ??= (async () => {
      lastReadStart = performance.now();
      try {
        const next = await read(held);
        confirmedAt = o.now();
        if (failing) {
          failing = false;
          o.onRecover?.({ setting: o.setting });
        }
        if (next.current.id !== held.current.id) {
          held = next;
          o.onChange?.({ setting: o.setting, versionId: next.current.id });
          waiters.notify(next.current.value);
        } else {
          held = next;
        }
      } catch (err) {
        // The last good value stays; one warning per run of failures.
        if (!failing) {
          failing = true;
          o.onError?.({ setting: o.setting, reason: (err as Error).message });
        }
      }
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  /** A read someone asked for: shares the one under way, else waits out the spacing. */
  const askedRead = async (): Promise<void> => {
    if (reading) return reading;
    if (performance.now() - lastReadStart < o.minReadIntervalMs) return;
    return readNow();
  };

  const poller = setInterval(() => void readNow(), o.pollMs);
  poller.unref();
  // While someone waits for a rotation, one read per interval (one under way is shared).
  const waiters = changeWaiters({ pollMs: o.minReadIntervalMs, poll: () => void readNow() });

  return {
    description: o.description,
    current: () => held.current.value,
    previous: () => (held.previous ? { value: held.previous.value, since: held.since } : undefined),
    lastConfirmedAt: () => confirmedAt,
    refresh: async () => {
      const before = held.current.value;
      await askedRead();
      return held.current.value !== before;
    },
    waitForChange: (since, timeoutMs) => waiters.wait(held.current.value, since, timeoutMs),
    close: () => {
      clearInterval(poller);
      waiters.close();
    },
  };
}

/** An SDK or network error as a reason an operator can act on; the secret's value is never part of one. */
export function reasonOf(err: unknown, what: string): string {
  const e = err as { name?: string; code?: string; message?: string };
  switch (e.name) {
    case 'ResourceNotFoundException':
      return `${what} does not exist (or is not visible to these credentials)`;
    case 'AccessDeniedException':
    case 'AccessDenied':
      return `access denied to ${what}: the credentials need secretsmanager:GetSecretValue and secretsmanager:DescribeSecret on it`;
    case 'UnrecognizedClientException':
    case 'InvalidClientTokenId':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
    case 'CredentialsProviderError':
      return `the AWS credentials were refused or not found (${e.name}): ${e.message ?? ''}`;
    case 'DecryptionFailure':
      return `${what} cannot be decrypted: the credentials need kms:Decrypt on its KMS key`;
    case 'InvalidRequestException':
      return `${what} cannot be read now (${e.message ?? 'invalid request'})`;
    default:
      break;
  }
  if (e.code && /^E[A-Z]+$/.test(e.code)) return `cannot reach AWS Secrets Manager (${e.code})`;
  // A connection cut or timed out: the SDK wraps it ("AWS SDK error wrapper for TimeoutError: socket hang up").
  const network = /socket hang up|\bE(?:CONN[A-Z]+|TIMEDOUT|HOSTUNREACH|NETUNREACH|PIPE|AI_AGAIN|NOTFOUND)\b|TimeoutError/.exec(`${e.name ?? ''} ${e.message ?? ''}`);
  if (network) return `cannot reach AWS Secrets Manager (${network[0]})`;
  // An answer the SDK could not parse (a proxy's or test server's own page) still has a status.
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 403) {
    return `access denied to ${what} (HTTP 403): the credentials must be valid and allowed secretsmanager:GetSecretValue and secretsmanager:DescribeSecret on it`;
  }
  if (status !== undefined && status >= 500) return `AWS Secrets Manager answered HTTP ${status} for ${what}`;
  if (/Region is missing/i.test(e.message ?? '')) return 'no AWS region: set AWS_REGION';
  return `cannot read ${what}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
}

/** A reference to a secret in AWS Secrets Manager, as config gives it. */
export interface AwsSecretRef {
  readonly setting: string;
  readonly secretId: string;
  readonly jsonKey: string | undefined;
}

/**
 * Opens several secrets through one SDK client, in parallel; one settled result per
 * reference, in order, so the caller reports every failure at once. Log lines name the
 * setting and the version id. The client is destroyed once every opened source closed.
 */
export async function openAwsSecrets(
  refs: readonly AwsSecretRef[],
  o: {
    readonly client: AwsClientConfig | SecretsManagerLike;
    readonly pollMs: number;
    readonly logger: Logger;
    readonly now?: (() => number) | undefined;
    readonly minReadIntervalMs?: number | undefined;
  },
): Promise<Array<PromiseSettledResult<SecretSource>>> {
  const owned = 'send' in o.client ? undefined : createSecretsManagerClient(o.client);
  const client = owned ?? (o.client as SecretsManagerLike);
  const results = await Promise.allSettled(
    refs.map((ref) =>
      openAwsSecret({
        ...ref,
        client,
        pollMs: o.pollMs,
        ...(o.now ? { now: o.now } : {}),
        ...(o.minReadIntervalMs !== undefined ? { minReadIntervalMs: o.minReadIntervalMs } : {}),
        onChange: (info) => o.logger.info(info, 'a new version of a secret in AWS Secrets Manager is in use'),
        onError: (info) =>
          o.logger.warn(info, 'a secret in AWS Secrets Manager could not be re-read; the last good value stays in use'),
        onRecover: (info) => o.logger.info(info, 'a secret in AWS Secrets Manager can be read again'),
      }),
    ),
  );
  let open = results.filter((r) => r.status === 'fulfilled').length;
  if (open === 0) owned?.destroy();
  return results.map((r) => {
    if (r.status === 'rejected') return r;
    const source = r.value;
    let closed = false;
    return {
      status: 'fulfilled',
      value: {
        ...source,
        close: () => {
          source.close();
          if (closed) return;
          closed = true;
          if (--open === 0) owned?.destroy();
        },
      },
    };
  });
}
