import { z } from 'zod';
import { type ServiceSettings, urlSetting } from '../services/definition.js';
import type { SERVICE_SETTINGS } from '../services/settings.js';
import { DOWNSTREAM_DEFAULTS } from './defaults.js';
import { httpUrl, optionalString } from './env-helpers.js';
import type { SecretRef } from './secrets.js';

/** How the BFF protects itself and a downstream service from each other. */
export interface ResilienceConfig {
  /** Retries of an idempotent call after the first attempt (0 turns retries off). */
  readonly maxRetries: number;
  /** Consecutive failures that open the circuit. */
  readonly breakAfterFailures: number;
  /** How long an open circuit fails fast before one probe call may try again, in ms. */
  readonly halfOpenAfterMs: number;
  /** Calls in flight at once; more wait in a bounded queue, then fail fast. */
  readonly maxConcurrent: number;
}

/** How a downstream secret's rotation is bridged so that no call is lost. */
export interface SecretRotationConfig {
  /** How long a call refused with the current secret waits for a new one to land (0: never). */
  readonly waitMs: number;
  /** How long after a change the previous value is still tried if the service refuses the new one. */
  readonly previousGraceMs: number;
}

export interface DownstreamServiceConfig {
  /** Base URL (`<PREFIX>_URL`); undefined outside production means "start the in-process demo service". */
  readonly url: string | undefined;
  /** Longest time one call may take, retries included, in milliseconds. */
  readonly timeoutMs: number;
  /** Longest time one attempt may take (at most `timeoutMs`), in milliseconds. */
  readonly attemptTimeoutMs: number;
  readonly resilience: ResilienceConfig;
}

/** What a service's credential kind adds to its config. */
export type CredentialConfigOf<S extends ServiceSettings> = S['credential'] extends { kind: 'api-key' | 'secret-key' }
  ? {
      /** The service's secret (`CATALOG_API_KEY`, `PAYMENTS_SECRET_KEY`, or its `_FILE`). */
      readonly secret: SecretRef;
      readonly secretRotation: SecretRotationConfig;
    }
  : S['credential'] extends { kind: 'client-credentials' }
    ? {
        /** Scope of the client-credentials token (`REVIEWS_SCOPE`). */
        readonly scope: string;
      }
    : unknown;

/** `config.downstream`: one entry per service of the registry, typed by its credential kind. */
export type DownstreamConfig = {
  readonly [S in (typeof SERVICE_SETTINGS)[number] as S['name']]: DownstreamServiceConfig & CredentialConfigOf<S>;
};

/** Everything a service's config may hold, for code that handles any service. */
export type AnyServiceConfig = DownstreamServiceConfig & {
  readonly secret?: SecretRef;
  readonly secretRotation?: SecretRotationConfig;
  readonly scope?: string;
};

/** The resilience settings: `DOWNSTREAM_<X>` for every service, `<PREFIX>_<X>` for one. */
const TUNING = [
  ['timeoutMs', 'TIMEOUT_MS', 1],
  ['attemptTimeoutMs', 'ATTEMPT_TIMEOUT_MS', 1],
  ['maxRetries', 'MAX_RETRIES', 0],
  ['breakAfterFailures', 'BREAKER_FAILURES', 1],
  ['halfOpenAfterMs', 'BREAKER_RESET_MS', 1],
  ['maxConcurrent', 'MAX_CONCURRENT', 1],
] as const;

/** A whole number of at least `min`, or undefined when unset. */
const atLeast = (min: number) => {
  const message = `must be a whole number of at least ${min}`;
  return optionalString.pipe(
    z.string().regex(/^\d+$/, message).transform(Number).refine((n) => n >= min, message).optional(),
  );
};

/** The zod schema of every service's settings: base URL, resilience, and the credential's own. */
export function downstreamSchema(services: readonly ServiceSettings[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const [, suffix, min] of TUNING) shape[`DOWNSTREAM_${suffix}`] = atLeast(min);
  for (const s of services) {
    shape[urlSetting(s)] = optionalString.pipe(httpUrl.optional());
    for (const [, suffix, min] of TUNING) shape[`${s.envPrefix}_${suffix}`] = atLeast(min);
    if (s.credential.kind === 'client-credentials') shape[s.credential.scopeSetting] = optionalString;
  }
  return z.object(shape);
}

/**
 * Each service's config from the parsed settings: a service's own setting, else the
 * `DOWNSTREAM_` one, else the service's default, else `DOWNSTREAM_DEFAULTS`.
 */
export function readDownstream(
  services: readonly ServiceSettings[],
  parsed: Readonly<Record<string, unknown>>,
  o: {
    secrets: Readonly<Record<string, SecretRef | undefined>>;
    rotation: SecretRotationConfig;
    orDefault: (ref: SecretRef | undefined, value: string, why: string) => SecretRef;
  },
): Record<string, AnyServiceConfig> {
  const out: Record<string, AnyServiceConfig> = {};
  for (const s of services) {
    const defaults: Record<string, number> = { ...DOWNSTREAM_DEFAULTS, ...s.resilience };
    const values = {} as Record<(typeof TUNING)[number][0], number>;
    for (const [key, suffix] of TUNING) {
      const given = (parsed[`${s.envPrefix}_${suffix}`] ?? parsed[`DOWNSTREAM_${suffix}`]) as number | undefined;
      // Unset, one attempt may take the whole call's time.
      values[key] = given ?? (key === 'attemptTimeoutMs' ? values.timeoutMs : defaults[key]!);
    }
    const { timeoutMs, attemptTimeoutMs, ...resilience } = values;
    const c = s.credential;
    out[s.name] = {
      url: parsed[urlSetting(s)] as string | undefined,
      timeoutMs,
      // An attempt longer than its call could never use the difference (a global
      // DOWNSTREAM_ATTEMPT_TIMEOUT_MS above one service's TIMEOUT_MS is not a mistake).
      attemptTimeoutMs: Math.min(attemptTimeoutMs, timeoutMs),
      resilience,
      ...(c.kind === 'api-key' || c.kind === 'secret-key'
        ? { secret: o.orDefault(o.secrets[c.secret], c.demoValue, `demo ${s.name} key`), secretRotation: o.rotation }
        : {}),
      ...(c.kind === 'client-credentials' ? { scope: (parsed[c.scopeSetting] as string | undefined) ?? c.defaultScope } : {}),
    };
  }
  return out;
}

/** The secret settings of the services (`CATALOG_API_KEY`, `PAYMENTS_SECRET_KEY`), with their public demo values. */
export function serviceSecretSettings(services: readonly ServiceSettings[]): Array<{ setting: string; demoValue: string }> {
  return services.flatMap((s) =>
    s.credential.kind === 'api-key' || s.credential.kind === 'secret-key'
      ? [{ setting: s.credential.secret, demoValue: s.credential.demoValue }]
      : [],
  );
}
