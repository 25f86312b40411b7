import type DataLoader from 'dataloader';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Credential } from '../downstream/credential.js';
import type { HttpTuning } from '../downstream/http/client-options.js';
import type { ResponseCacheOptions } from '../downstream/http/response-cache.js';
import type { CallOptions } from '../downstream/http/service-http.js';
import type { SecretRotationOptions } from '../downstream/secret-credential.js';
import type { DemoServiceRequest } from '../demo/http.js';
import type { TokenCheck } from '../demo/token-validation.js';
import type { SecretSource } from '../secrets/index.js';

/**
 * How a service authenticates the BFF's calls. Each kind is one implementation in
 * `src/downstream` or `src/auth`; the definition only says which, and where its secret
 * comes from.
 */
export type CredentialSettings =
  /** A static, rotatable key in a header (catalog: `x-api-key: …`). */
  | { readonly kind: 'api-key'; readonly secret: string; readonly demoValue: string }
  /** A rotatable secret sent as `Authorization: Bearer …` (payments, Stripe-style). */
  | { readonly kind: 'secret-key'; readonly secret: string; readonly demoValue: string }
  /** The signed-in user's access token, per request (orders). */
  | { readonly kind: 'user-token' }
  /** The BFF's own client-credentials token for `scope` (reviews), cached until it expires. */
  | { readonly kind: 'client-credentials'; readonly scopeSetting: string; readonly defaultScope: string };

/** Per-service resilience defaults; whatever is not given comes from `DOWNSTREAM_DEFAULTS` (config/defaults.ts). */
export interface ResilienceDefaults {
  readonly timeoutMs?: number;
  readonly maxRetries?: number;
  readonly breakAfterFailures?: number;
  readonly halfOpenAfterMs?: number;
  readonly maxConcurrent?: number;
}

/**
 * What configuration needs to know about a service: pure data, so `src/config` can read
 * it without loading any client, HTTP pool or demo code.
 */
export interface ServiceSettings<Name extends string = string> {
  /** The service's name in logs, metrics, errors (`extensions.service`) and `config.downstream`. */
  readonly name: Name;
  /**
   * Prefix of its settings: `<PREFIX>_URL` (the base URL), `<PREFIX>_TIMEOUT_MS`,
   * `<PREFIX>_MAX_CONCURRENT` and the other resilience settings.
   */
  readonly envPrefix: string;
  readonly credential: CredentialSettings;
  /** Defaults that differ from every service's (payments: a smaller concurrency cap). */
  readonly resilience?: ResilienceDefaults;
  /**
   * Whether its answers are the same for every user, so the shared response cache may
   * keep them (catalog, reviews). Default `false`.
   */
  readonly sharedAnswers?: boolean;
  /** The message of `DOWNSTREAM_UNAVAILABLE` errors naming this service. */
  readonly unavailableMessage: string;
}

/** The setting that holds a service's base URL. */
export const urlSetting = (s: Pick<ServiceSettings, 'envPrefix'>): string => `${s.envPrefix}_URL`;

/** What `createClient` gets: everything resolved, nothing left to read from config. */
export interface ClientContext {
  /** The configured `<PREFIX>_URL`, or the address of the demo stand-in. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Attempt timeout and resilience from config, under any tuning the caller passed for all services. */
  readonly http: HttpTuning;
  /** The shared response cache (services with `sharedAnswers` only); `false` turns it off. */
  readonly cache: ResponseCacheOptions | false | undefined;
  /** The opened secret (`api-key` and `secret-key` kinds), re-read when its file changes. */
  readonly secret: SecretSource | undefined;
  /** How a rotation of that secret is bridged. */
  readonly rotation: SecretRotationOptions | undefined;
  /** The client-credentials token (`client-credentials` kind). */
  readonly token: Credential | undefined;
}

/** What a service's loaders get, per GraphQL request. */
export interface LoaderContext {
  /** The user's access token, or null without a session. */
  readonly user: Credential | null;
  /** The request id, deadline and call budget every downstream call carries. */
  readonly call: CallOptions;
}

/** What a demo stand-in gets to enforce the service's credential as the contract says. */
export interface DemoContext {
  /** The secret the stand-in expects (secret kinds), read on every request so tests can rotate it. */
  readonly secret: () => string;
  /** Validates a user's access token at the IdP (user-token kind). */
  readonly checkUserToken: TokenCheck<{ sub: string }>;
  /** Validates the BFF's client-credentials token, for the service's scope, by introspection. */
  readonly checkServiceToken: TokenCheck<{ clientId: string }>;
  /** Called for every request received, before any credential check (tests record them). */
  readonly onRequest: ((r: DemoServiceRequest) => void) | undefined;
  readonly logger: Logger | undefined;
}

/** A demo stand-in: an express app implementing the service's REST contract with seed data. */
export type DemoStandIn = (ctx: DemoContext) => Express;

/** A client's common surface: the circuit state for metrics, and close for shutdown. */
export interface ServiceClient {
  /** The circuit's state (`downstream_circuit_state` gauge). */
  readonly circuit: 'closed' | 'open' | 'half-open' | 'isolated';
  /** Answers held by the shared response cache (`downstream_cached_answers`), for services that have one. */
  readonly cachedAnswers?: number;
  /** Calls waiting for the concurrency cap (`downstream_queued_calls`). */
  readonly queued?: number;
  /** Calls in flight under the concurrency cap (`downstream_active_calls`). */
  readonly active?: number;
  close(): Promise<void>;
}

/**
 * One downstream service, described once. Config, secrets, the clients, the loaders in
 * the GraphQL context, the demo start-up and the test stack are all derived from the
 * list of these in `registry.ts`.
 */
export interface ServiceDefinition<
  Name extends string = string,
  Client extends ServiceClient = ServiceClient,
  L extends Record<string, DataLoader<any, any>> = Record<string, DataLoader<any, any>>,
> extends ServiceSettings<Name> {
  /** Builds the process-wide client (one keep-alive pool, breaker and bulkhead). */
  createClient(ctx: ClientContext): Client;
  /** The request's DataLoaders for this service, merged into `ctx.loaders` (names must not clash). */
  createLoaders(client: Client, ctx: LoaderContext): L;
  /**
   * The in-process stand-in `npm start` and the tests run when `<PREFIX>_URL` is unset.
   * Loaded with `import()` only then: production never loads `src/demo/`.
   */
  loadDemo(): Promise<DemoStandIn>;
}

/** Keeps the literal types of a definition (its name, client and loaders) for the mapped types of the registry. */
export function defineService<Name extends string, Client extends ServiceClient, L extends Record<string, DataLoader<any, any>>>(
  definition: ServiceDefinition<Name, Client, L>,
): ServiceDefinition<Name, Client, L> {
  return definition;
}

/** A value the registry always provides for this kind of service; its absence is a bug, not a setting. */
export function required<T>(value: T | undefined, what: string, service: string): T {
  if (value === undefined) throw new Error(`the ${service} service needs ${what}, and none was provided`);
  return value;
}

/** The opened secret of an `api-key` or `secret-key` service. */
export const requireSecret = (ctx: ClientContext, service: string): SecretSource => required(ctx.secret, 'its secret', service);
