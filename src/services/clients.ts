import type { AnyServiceConfig } from '../config/index.js';
import type { Credential } from '../downstream/credential.js';
import type { ServiceTelemetry } from '../downstream/http/call-telemetry.js';
import type { HttpTuning } from '../downstream/http/client-options.js';
import type { ResponseCacheOptions } from '../downstream/http/response-cache.js';
import type { Logger } from '../observability/logger.js';
import type { SecretSource } from '../secrets/index.js';
import type { ServiceClient } from './definition.js';
import { type AnyService, type DownstreamClients, SERVICES } from './registry.js';

export interface DownstreamClientsOptions {
  /** The services to build clients for. Default `SERVICES` (the registry). */
  readonly services?: readonly AnyService[];
  /** `config.downstream`: timeouts, resilience, rotation and scopes per service. */
  readonly config: Readonly<Record<string, AnyServiceConfig>>;
  /**
   * Each service's base URL, resolved by the caller: the configured `<PREFIX>_URL`, or
   * the address of its demo stand-in when that is unset.
   */
  readonly urls: Readonly<Record<string, string>>;
  /** The opened secret of each service whose credential is a secret (`api-key`, `secret-key`), by service name. */
  readonly secrets: Readonly<Record<string, SecretSource>>;
  /** The client-credentials token provider for a scope (built by the auth layer). */
  readonly clientCredentials?: ((scope: string) => Credential) | undefined;
  readonly logger: Logger;
  /** Tuning applied to every service (tests, benchmarks). Default: the core's defaults. */
  readonly http?: HttpTuning | undefined;
  /**
   * The shared HTTP cache of the services whose answers are the same for every user
   * (`sharedAnswers`); `false` turns it off. Default `{}` (each client's defaults).
   */
  readonly cache?: ResponseCacheOptions | false | undefined;
  /** Each service's metrics and tracer, asked once per service at construction. Default: none. */
  readonly telemetry?: ((service: string) => ServiceTelemetry) | undefined;
}

/** One client per service of the list, created once per process. */
export function createDownstreamClients(opts: DownstreamClientsOptions): DownstreamClients {
  const services = opts.services ?? SERVICES;
  const clients: Record<string, ServiceClient> = {};
  for (const service of services) {
    const config = opts.config[service.name];
    const baseUrl = opts.urls[service.name];
    if (!config || baseUrl === undefined) throw new Error(`no configuration or URL for the ${service.name} service`);
    // The service's settings (retries, breaker, concurrency cap), under any tuning the
    // caller passes for all of them (tests, benchmarks).
    const given: HttpTuning = {
      attemptTimeoutMs: config.attemptTimeoutMs,
      ...(opts.telemetry ? { telemetry: opts.telemetry(service.name) } : {}),
      ...opts.http,
    };
    const http = given.resilience === false ? given : { ...given, resilience: { ...config.resilience, ...given.resilience } };
    const c = service.credential;
    clients[service.name] = service.createClient({
      baseUrl,
      timeoutMs: config.timeoutMs,
      logger: opts.logger,
      http,
      cache: service.sharedAnswers ? opts.cache : false,
      secret: c.kind === 'api-key' || c.kind === 'secret-key' ? opts.secrets[service.name] : undefined,
      rotation: config.secretRotation
        ? { rotationWaitMs: config.secretRotation.waitMs, previousGraceMs: config.secretRotation.previousGraceMs }
        : undefined,
      token: c.kind === 'client-credentials' && config.scope !== undefined ? opts.clientCredentials?.(config.scope) : undefined,
    });
  }
  const all = Object.values(clients);
  // Not enumerable: iterating the clients (metrics, the loaders) sees only clients.
  Object.defineProperty(clients, 'close', {
    enumerable: false,
    value: async () => {
      const results = await Promise.allSettled(all.map((client) => client.close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  });
  return clients as unknown as DownstreamClients;
}
