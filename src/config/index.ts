import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { fromProjectRoot } from '../lib/project-root.js';
import { SERVICE_SETTINGS, type ServiceName } from '../services/settings.js';
import { type ServiceSettings, urlSetting } from '../services/definition.js';
import { OIDC_DEFAULTS, RESPONSE_CACHE_MAX_ENTRIES, SECRET_ROTATION_DEFAULTS } from './defaults.js';
import { DEMO } from './demo-defaults.js';
import { type DownstreamConfig, downstreamSchema, readDownstream, serviceSecretSettings } from './downstream.js';
import { commaList, type Env, httpUrl, optionalString, originOf, positiveInt } from './env-helpers.js';
import { type MetricsConfig, readMetrics, readServerTimeouts, type ServerTimeoutsConfig } from './http-server.js';
import { readRuntime } from './runtime.js';
import { readMobile } from './mobile-apps.js';
import { type RateLimitConfig, readRateLimits } from './rate-limits.js';
import { type RedisConfig, readRedis } from './redis.js';
import { readTelemetry, type TelemetryConfig } from './telemetry.js';
import { readSecretManager, readSecretRef, type SecretRef, secretSettingForms } from './secrets.js';

export { DEMO } from './demo-defaults.js';
export type { Env } from './env-helpers.js';
export type { AwsClientConfig, SecretManagerConfig, SecretRef } from './secrets.js';
export type { MetricsConfig, RateLimitConfig, RedisConfig, ServerTimeoutsConfig, TelemetryConfig };
export type { MobileApp, MobileConfig } from './mobile-apps.js';
export type {
  AnyServiceConfig,
  DownstreamConfig,
  DownstreamServiceConfig,
  ResilienceConfig,
  SecretRotationConfig,
} from './downstream.js';
export { SERVICE_NAMES, SERVICE_SETTINGS, type ServiceName } from '../services/settings.js';
export { type RuntimeConfig, v8FlagsFor } from './runtime.js';

export const TRUSTED_DOCUMENTS_MODES = ['enforce', 'log', 'off'] as const;
export type TrustedDocumentsMode = (typeof TRUSTED_DOCUMENTS_MODES)[number];
export const GRAPHQL_EXECUTORS = ['jit', 'graphql-js'] as const;
export type GraphQLExecutorName = (typeof GRAPHQL_EXECUTORS)[number];

/**
 * The manifest `npm run codegen` writes. Resolved from the project root, not the working
 * directory: the production image keeps client/generated/ there too.
 */
export const DEFAULT_TRUSTED_DOCUMENTS_FILE = fromProjectRoot('client/generated/persisted-documents.json');

/** The web app's build (`npm run build:web` writes it): the project root's web/dist, like the manifest. */
export const DEFAULT_WEB_DIST_DIR = fromProjectRoot('web/dist');

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The parsed settings. Inferred from what `loadConfig` builds out of its zod schemas'
 * output, so the shape is written once (the documented literal at the end of
 * `loadConfig`) and can never drift from what is parsed.
 */
export type Config = DeepReadonly<ReturnType<typeof loadConfig>>;

/** Read-only all the way down: configuration is parsed once and never changed. */
type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** Thrown when the settings are unusable; `problems` names every one of them. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const bool = (fallback: boolean) =>
  optionalString.pipe(
    z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .optional()
      .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1')),
  );

const baseSchema = z.object({
  NODE_ENV: optionalString,
  PORT: optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a port number')
      .transform(Number)
      .refine((n) => n >= 0 && n <= 65535, 'must be a port number (0-65535)')
      .optional(),
  ),
  HOST: optionalString.transform((v) => v ?? '127.0.0.1'),
  PUBLIC_URL: optionalString.pipe(httpUrl.optional()),
  ALLOWED_ORIGINS: commaList.pipe(z.array(httpUrl)),
  TRUST_PROXY_HOPS: optionalString.pipe(
    z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).optional(),
  ),
  LOG_LEVEL: optionalString.pipe(z.enum(LOG_LEVELS).optional()),
  OIDC_ISSUER: optionalString.pipe(httpUrl.optional()),
  OIDC_CLIENT_ID: optionalString,
  OIDC_TOKEN_AUTH_METHOD: optionalString.pipe(
    z.enum(['client_secret_basic', 'client_secret_post']).optional(),
  ),
  OIDC_SCOPES: optionalString,
  OIDC_TIMEOUT_MS: positiveInt(OIDC_DEFAULTS.timeoutMs),
  OIDC_REVOKE_TIMEOUT_MS: positiveInt(OIDC_DEFAULTS.revokeTimeoutMs),
  SESSION_IDLE_TIMEOUT_S: positiveInt(1800),
  SESSION_ABSOLUTE_TIMEOUT_S: positiveInt(43200),
  TOKEN_REFRESH_SKEW_S: positiveInt(60),
  DOWNSTREAM_CACHE_MAX_ENTRIES: optionalString.pipe(
    z.string().regex(/^\d+$/, 'must be a whole number (0 turns the cache off)').transform(Number).optional(),
  ),
  GRAPHQL_REQUEST_BUDGET_MS: positiveInt(10000),
  GRAPHQL_MAX_DEPTH: positiveInt(10),
  GRAPHQL_MAX_ALIASES: positiveInt(15),
  GRAPHQL_MAX_TOKENS: positiveInt(2000),
  GRAPHQL_MAX_DIRECTIVES: positiveInt(50),
  GRAPHQL_MAX_COST: positiveInt(5000),
  // No "0 turns it off": every request's fan-out stays bounded.
  GRAPHQL_MAX_DOWNSTREAM_CALLS: positiveInt(50),
  SECRET_ROTATION_WAIT_MS: wholeNumber(SECRET_ROTATION_DEFAULTS.waitMs, '0 never waits'),
  SECRET_PREVIOUS_GRACE_MS: wholeNumber(SECRET_ROTATION_DEFAULTS.previousGraceMs, '0 never falls back'),
  SESSION_COOKIE_NAME: optionalString.pipe(
    z
      .string()
      // RFC 6265 token characters only, so the name needs no quoting anywhere.
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be 1 to 64 cookie-name characters (letters, digits, . _ - and the like)')
      .optional(),
  ),
  GRAPHQL_INTROSPECTION: optionalString,
  GRAPHQL_SANDBOX: optionalString,
  GRAPHQL_TRUSTED_DOCUMENTS: optionalString.pipe(
    z.enum(TRUSTED_DOCUMENTS_MODES, { message: 'must be enforce, log or off' }).optional(),
  ),
  GRAPHQL_TRUSTED_DOCUMENTS_FILE: optionalString,
  GRAPHQL_EXECUTOR: optionalString.pipe(z.enum(GRAPHQL_EXECUTORS, { message: 'must be jit or graphql-js' }).optional()),
  WEB_DIST_DIR: optionalString,
});

/** A whole number of at least 0 given as text, with a default; `zero` says what 0 means. */
function wholeNumber(fallback: number, zero: string) {
  return optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/, `must be a whole number (${zero})`)
      .transform(Number)
      .optional()
      .transform((n) => n ?? fallback),
  );
}

const MIN_SECRET_LENGTH = 32;

export interface LoadConfigOptions {
  /**
   * The downstream services whose settings are read. Default `SERVICE_SETTINGS` (the
   * registry); a test adds a throw-away service here.
   */
  readonly services?: readonly ServiceSettings[];
  /** Whether stdout is a terminal (pretty log lines outside production). Default `false`. */
  readonly terminal?: boolean;
}

/**
 * Parses the settings once, at start-up. Every problem is collected and reported
 * together, so an operator fixes a deployment in one pass rather than one error per
 * restart. In production no demo default is allowed.
 */
export function loadConfig(env: Env, { services = SERVICE_SETTINGS, terminal = false }: LoadConfigOptions = {}) {
  const problems: string[] = [];
  const parsed = baseSchema.safeParse(env);
  const parsedServices = downstreamSchema(services).safeParse(env);
  for (const issue of [...(parsed.error?.issues ?? []), ...(parsedServices.error?.issues ?? [])]) {
    problems.push(`${issue.path.join('.') || 'settings'}: ${issue.message}`);
  }
  const production = env.NODE_ENV?.trim() === 'production';
  const intro = bool(!production).safeParse(env.GRAPHQL_INTROSPECTION);
  const sandbox = bool(!production).safeParse(env.GRAPHQL_SANDBOX);
  if (!intro.success) problems.push('GRAPHQL_INTROSPECTION: must be true or false');
  if (!sandbox.success) problems.push('GRAPHQL_SANDBOX: must be true or false');

  const secrets = {
    OIDC_CLIENT_SECRET: readSecretRef(env, 'OIDC_CLIENT_SECRET', problems),
    SESSION_SECRET: readSecretRef(env, 'SESSION_SECRET', problems),
    SESSION_ENCRYPTION_KEY: readSecretRef(env, 'SESSION_ENCRYPTION_KEY', problems),
    REDIS_PASSWORD: readSecretRef(env, 'REDIS_PASSWORD', problems),
  };
  const serviceSecrets = serviceSecretSettings(services);
  const downstreamSecrets = Object.fromEntries(serviceSecrets.map(({ setting }) => [setting, readSecretRef(env, setting, problems)]));

  const redis = readRedis(env, problems);
  const rateLimits = readRateLimits(env, problems);
  const mobile = readMobile(env, problems, { production });
  const serverTimeouts = readServerTimeouts(env, problems);
  const metrics = readMetrics(env, problems, { production, port: parsed.data?.PORT ?? 4000 });
  const secretManager = readSecretManager(
    env,
    [...Object.values(secrets), ...Object.values(downstreamSecrets), metrics.token],
    problems,
    { production },
  );
  const telemetry = readTelemetry(env, problems);
  const runtime = readRuntime(env, problems);
  if (!parsed.success || !parsedServices.success) throw new ConfigError(problems);
  const s = parsed.data;
  const raw = parsedServices.data;
  const warnings: string[] = [];

  const port = s.PORT ?? 4000;
  const publicUrl = s.PUBLIC_URL ?? `http://localhost:${port}`;
  const secureCookies = publicUrl.startsWith('https:');

  if (production) {
    const required: Array<[string, unknown]> = [
      ['PUBLIC_URL', s.PUBLIC_URL],
      ['OIDC_ISSUER', s.OIDC_ISSUER],
      ['OIDC_CLIENT_ID', s.OIDC_CLIENT_ID],
      [secretSettingForms('OIDC_CLIENT_SECRET'), secrets.OIDC_CLIENT_SECRET],
      ['REDIS_URL (or REDIS_CLUSTER_NODES, or REDIS_SENTINELS with REDIS_SENTINEL_NAME)', redis],
      [secretSettingForms('SESSION_SECRET'), secrets.SESSION_SECRET],
      ...services.map((svc): [string, unknown] => [urlSetting(svc), raw[urlSetting(svc)]]),
      ...serviceSecrets.map(({ setting }): [string, unknown] => [secretSettingForms(setting), downstreamSecrets[setting]]),
    ];
    for (const [name, value] of required) {
      if (value === undefined) problems.push(`${name} is required in production`);
    }
    if (s.PUBLIC_URL && !s.PUBLIC_URL.startsWith('https:')) {
      problems.push('PUBLIC_URL must be https:// in production (cookies must be Secure)');
    }
    if (s.OIDC_ISSUER && !s.OIDC_ISSUER.startsWith('https:')) {
      problems.push('OIDC_ISSUER must be https:// in production');
    }
    for (const [name, ref] of [
      ['SESSION_SECRET', secrets.SESSION_SECRET],
      ['SESSION_ENCRYPTION_KEY', secrets.SESSION_ENCRYPTION_KEY],
    ] as const) {
      if (ref?.kind === 'value' && ref.value.split(',')[0]!.trim().length < MIN_SECRET_LENGTH) {
        problems.push(`${name} must be at least ${MIN_SECRET_LENGTH} characters`);
      }
    }
    const demoValues: Array<[string, SecretRef | undefined, string]> = [
      ['OIDC_CLIENT_SECRET', secrets.OIDC_CLIENT_SECRET, DEMO.clientSecret],
      ...serviceSecrets.map(({ setting, demoValue }): [string, SecretRef | undefined, string] => [setting, downstreamSecrets[setting], demoValue]),
    ];
    for (const [name, ref, demo] of demoValues) {
      if (ref?.kind === 'value' && ref.value === demo) {
        problems.push(`${name} is the public demo value; set a real secret in production`);
      }
    }
  }
  if (secrets.REDIS_PASSWORD && redis?.kind === 'single' && new URL(redis.url).password !== '') {
    // Two passwords for one connection: which one wins would be a guess.
    problems.push('REDIS_URL carries a password and REDIS_PASSWORD (or REDIS_PASSWORD_FILE) is set too: give the password once');
  }
  if (secrets.REDIS_PASSWORD && !redis) {
    problems.push('REDIS_PASSWORD (or REDIS_PASSWORD_FILE) is set but REDIS_URL is not');
  }
  const cookieName = s.SESSION_COOKIE_NAME ?? 'shop.sid';
  if (/^__(Host|Secure)-/i.test(cookieName)) {
    // The prefix is ours to add: __Host- under https (Secure, Path=/, no Domain), none
    // under http, where browsers would drop a prefixed cookie and sign-in would loop.
    problems.push('SESSION_COOKIE_NAME must not carry a __Host- or __Secure- prefix: it is added under an https PUBLIC_URL');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const demoServices = services.filter((svc) => raw[urlSetting(svc)] === undefined).map((svc) => svc.name as ServiceName);
  if (demoServices.length > 0) {
    warnings.push(
      `${services.map(urlSetting).join('/')} not set: starting in-process demo services for ${demoServices.join(', ')}`,
    );
  }
  if (s.OIDC_ISSUER === undefined) {
    warnings.push(
      `OIDC_ISSUER not set: using the embedded development identity provider at ${publicUrl}${DEMO.idpPath} (users alice/alice, bob/bob)`,
    );
  }
  if (redis === undefined) {
    warnings.push('REDIS_URL not set: sessions live in process memory and are lost on restart');
  }

  const secretRotation = { waitMs: s.SECRET_ROTATION_WAIT_MS, previousGraceMs: s.SECRET_PREVIOUS_GRACE_MS };
  const orDefault = (ref: SecretRef | undefined, value: string, why: string): SecretRef =>
    ref ?? { kind: 'default', value, why };
  const random = () => randomBytes(32).toString('base64url');
  if (!secrets.SESSION_SECRET) {
    warnings.push('SESSION_SECRET not set: using a random secret; sessions end when the process restarts');
  }

  return {
    production,
    server: {
      port,
      host: s.HOST,
      /** The origin browsers use, without a trailing slash. */
      publicUrl,
      /** `PUBLIC_URL`'s origin plus `ALLOWED_ORIGINS`: the only origins allowed with credentials. */
      allowedOrigins: [...new Set([originOf(publicUrl), ...s.ALLOWED_ORIGINS.map(originOf)])],
      /** Whether cookies are `Secure` and `__Host-` prefixed (an https PUBLIC_URL). */
      secureCookies,
      /** Express `trust proxy` (hops), so `req.secure` and client IPs are right behind a load balancer. */
      trustProxyHops: s.TRUST_PROXY_HOPS ?? 0,
    },
    log: {
      level: s.LOG_LEVEL ?? 'info',
      /** Human-readable lines (pino-pretty) when stdout is a terminal, never in production. */
      pretty: !production && terminal,
    },
    oidc: {
      /** Undefined outside production means "use the embedded development IdP". */
      issuer: s.OIDC_ISSUER,
      clientId: s.OIDC_CLIENT_ID ?? DEMO.clientId,
      clientSecret: orDefault(secrets.OIDC_CLIENT_SECRET, DEMO.clientSecret, 'dev IdP client'),
      tokenAuthMethod: s.OIDC_TOKEN_AUTH_METHOD ?? 'client_secret_basic',
      scopes: (s.OIDC_SCOPES ?? 'openid profile email offline_access').split(/[\s,]+/).filter(Boolean),
      /** Each request to the IdP, in ms (`OIDC_TIMEOUT_MS`); past it the IdP counts as unavailable. */
      timeoutMs: s.OIDC_TIMEOUT_MS,
      /** How long logout waits for the IdP's revocation and end-session URL, in ms (`OIDC_REVOKE_TIMEOUT_MS`). */
      revokeTimeoutMs: s.OIDC_REVOKE_TIMEOUT_MS,
      /** Plain-http issuers are only accepted outside production (tests, the dev IdP). */
      allowInsecureIssuer: !production,
    },
    session: {
      /** Where the shared state lives (see redis.ts). Undefined outside production means "in-memory store". */
      redis,
      /**
       * `REDIS_PASSWORD` (or `REDIS_PASSWORD_FILE`): the password of the Redis user (REDIS_URL's, or every node's),
       * kept out of the URL so it can be a mounted file. Read at every (re)connection, so
       * a rotated file is used from the next connection on. Default: none (or the URL's).
       */
      redisPassword: secrets.REDIS_PASSWORD,
      /** Cookie-signing secrets, comma-separated, newest first. */
      secret: orDefault(secrets.SESSION_SECRET, random(), 'random per process'),
      /**
       * Token-encryption keys, comma-separated, newest first (older ones only decrypt).
       * Undefined: derived from `secret` with HKDF (`keysFromSessionSecret`), so every
       * instance sharing `SESSION_SECRET` (and a restarted one) reads every session.
       */
      encryptionKey: secrets.SESSION_ENCRYPTION_KEY,
      cookieName: secureCookies ? `__Host-${cookieName}` : cookieName,
      idleTimeoutS: s.SESSION_IDLE_TIMEOUT_S,
      absoluteTimeoutS: s.SESSION_ABSOLUTE_TIMEOUT_S,
      tokenRefreshSkewS: s.TOKEN_REFRESH_SKEW_S,
    },
    /**
     * One entry per service of the registry (`src/services/settings.ts`), typed by its
     * credential kind; a service added through `options.services` is there too.
     */
    downstream: readDownstream(services, raw, { secrets: downstreamSecrets, rotation: secretRotation, orDefault }) as DownstreamConfig,
    /** The shared HTTP cache of answers that are the same for every user (catalog, reviews). */
    responseCache: {
      /** Most answers kept; 0 turns the cache off. */
      maxEntries: s.DOWNSTREAM_CACHE_MAX_ENTRIES ?? RESPONSE_CACHE_MAX_ENTRIES,
    },
    graphql: {
      introspection: intro.data!,
      sandbox: sandbox.data!,
      /**
       * Total time one GraphQL request may spend on downstream calls, retries included;
       * a hung service costs at most its timeout, and retries stop at this deadline.
       */
      requestBudgetMs: s.GRAPHQL_REQUEST_BUDGET_MS,
      /**
       * What executes operations: `jit` compiles each document once with graphql-jit
       * (src/graphql/jit-executor.ts, its caveats there); `graphql-js` is graphql-js's
       * interpreter, kept to compare and as a way back. Default `jit`.
       */
      executor: s.GRAPHQL_EXECUTOR ?? 'jit',
    },
    /** Which operations may run (docs/clients.md, "Trusted documents"). */
    trustedDocuments: {
      /**
       * `enforce`: only documents in the manifest run; `log`: every document runs and the
       * unlisted ones are logged; `off`: listed ids are resolved, nothing else is checked.
       * Default `enforce` in production, `log` elsewhere.
       */
      mode: s.GRAPHQL_TRUSTED_DOCUMENTS ?? (production ? 'enforce' : 'log'),
      /** Absolute path of the manifest, re-read when it changes. Default `DEFAULT_TRUSTED_DOCUMENTS_FILE`. */
      file: s.GRAPHQL_TRUSTED_DOCUMENTS_FILE ? resolve(s.GRAPHQL_TRUSTED_DOCUMENTS_FILE) : DEFAULT_TRUSTED_DOCUMENTS_FILE,
    },
    /** The shop's web app, served at `/` (see src/web/). */
    web: {
      /**
       * Absolute path of its build (`WEB_DIST_DIR`): `index.html` and hashed `assets/`.
       * Default `DEFAULT_WEB_DIST_DIR` (web/dist). When absent, `/` says so; nothing fails.
       */
      distDir: s.WEB_DIST_DIR ? resolve(s.WEB_DIST_DIR) : DEFAULT_WEB_DIST_DIR,
    },
    /** Requests per minute per session, per anonymous client and per sign-in client (see rate-limits.ts). */
    rateLimits,
    /** Native apps that sign in through the system browser (see mobile-apps.ts). */
    mobile,
    /** How long the HTTP server waits for slow clients (see http-server.ts). */
    serverTimeouts,
    /** Who may read `/metrics`, and on which port (see http-server.ts). */
    metrics,
    /** How secrets kept in a secrets manager (`X_AWS_SECRET_ID`) are read and kept fresh (see secrets.ts). */
    secretManager,
    /** OpenTelemetry tracing from the standard `OTEL_*` variables (see telemetry.ts). */
    telemetry,
    /** How the Node.js runtime is tuned (see runtime.ts). */
    runtime,
    /**
     * Bounds every GraphQL operation is checked against before any resolver runs (see
     * `src/graphql/limits`), and the downstream calls one request may make.
     */
    operationLimits: {
      /** Nesting depth of selections, fragments expanded (`GRAPHQL_MAX_DEPTH`). Default `10`. */
      maxDepth: s.GRAPHQL_MAX_DEPTH,
      /** Aliases in one operation (`GRAPHQL_MAX_ALIASES`). Default `15`. */
      maxAliases: s.GRAPHQL_MAX_ALIASES,
      /** Lexical tokens of the document (`GRAPHQL_MAX_TOKENS`). Default `2000`. */
      maxTokens: s.GRAPHQL_MAX_TOKENS,
      /** Directives in one operation (`GRAPHQL_MAX_DIRECTIVES`). Default `50`. */
      maxDirectives: s.GRAPHQL_MAX_DIRECTIVES,
      /** Estimated cost (`GRAPHQL_MAX_COST`, see `operationCost`). Default `5000`. */
      maxCost: s.GRAPHQL_MAX_COST,
      /**
       * Downstream calls one GraphQL request may make (`GRAPHQL_MAX_DOWNSTREAM_CALLS`);
       * answers from the shared response cache are not calls. Always on (0 is refused).
       * Default `50` (the dashboard makes 3).
       */
      maxDownstreamCalls: s.GRAPHQL_MAX_DOWNSTREAM_CALLS,
    },
    /** Which zero-config stand-ins are in use; each is announced by one warning line. */
    demo: {
      /** The services without a `<PREFIX>_URL`: their demo stand-ins are started. */
      services: demoServices,
      memoryStore: redis === undefined,
    },
    /** One line per demo default in use, for the start-up log. */
    warnings,
  };
}

/** The process's own environment: the one place that reads `process.env`. */
export function loadConfigFromProcess(): Config {
  return loadConfig(process.env, { terminal: process.stdout.isTTY === true });
}
