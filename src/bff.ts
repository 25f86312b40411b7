import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace, type Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { GraphQLSchema } from 'graphql';
import { type App, type AppDeps, type AppSecrets, createApp, createHttpServer } from './app.js';
import { announceExplorers } from './graphql/explorer.js';
import { type AnyServiceConfig, type Config, DEMO, type SecretRef } from './config/index.js';
import { createLogger, type Logger, prettyDestination } from './observability/logger.js';
import { TRACER_NAME } from './observability/tracing.js';
import { openSecrets } from './secrets/index.js';
import { connectSharedRedis, keysFromSessionSecret, type SharedRedis } from './session/index.js';
import { type AnyService, SERVICES } from './services/registry.js';

/** What a caller (main.ts, a test) may put in place of what `startBff` would build itself. */
export interface BffOverrides {
  /** Default: a logger at `config.log.level` on stdout. */
  readonly logger?: Logger;
  /** Clock of sessions and tokens, and of a managed secret's age (`/readyz`), epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * A connected node-redis client, owned by the caller (not closed here), or `false` for
   * the memory store whatever `REDIS_URL` says (tests of one instance that reach nothing).
   * Default: one connected as the Redis settings say (`REDIS_URL`, `REDIS_CLUSTER_NODES`
   * or `REDIS_SENTINELS`) when one is set, closed at shutdown.
   */
  readonly redis?: SharedRedis | false;
  /** The downstream services. Default `SERVICES` (the registry); config must have been loaded with the same. */
  readonly services?: readonly AnyService[];
  /**
   * Live secret sources in place of the ones `startBff` would open from config, owned by
   * the caller (not closed here): a secret manager's client, or a test that rotates the
   * session secret mid-suite. The downstream services' secrets always come from config.
   * Default: each opened from its setting (value, `*_FILE` or `*_AWS_SECRET_ID`, see `openAppSecrets`).
   */
  readonly secrets?: Partial<Omit<AppSecrets, 'downstream'>>;
  /** The executable schema. Default `createSchema()`. */
  readonly schema?: GraphQLSchema;
  /** Base URLs by service name, taking the place of config's (and of a demo stand-in). */
  readonly urls?: Readonly<Record<string, string>>;
  /** Window of the rate limits in seconds (tests). Default `60`. */
  readonly rateLimitWindowS?: number;
  /** Where to listen. Default `config.server.port` on `config.server.host`. */
  readonly port?: number;
  /** Where the `METRICS_PORT` listener listens, when that is set. Default `config.metrics.port`. */
  readonly metricsPort?: number;
  /**
   * How long `close()` keeps serving (with `/readyz` at 503) before it drains, so a load
   * balancer sees the instance leave before its connections close, in ms. Default `0`.
   */
  readonly shutdownDelayMs?: number;
  /**
   * Where the BFF's own spans go, whatever `OTEL_*` says: a tracer provider of this
   * instance alone sends them here, redacted like every span, one by one (tests pass an
   * `InMemorySpanExporter`). Default: with tracing on, the SDK that main.ts started
   * (`startTracing`); off, no spans.
   */
  readonly traceExporter?: SpanExporter;
}

export interface RunningBff {
  /** Where the server listens, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly app: App;
  readonly config: Config;
  /**
   * Shuts down in order: `/readyz` answers 503 at once, then (after `shutdownDelayMs`)
   * the HTTP server drains (requests in flight finish), Apollo stops, the downstream
   * pools, demo stand-ins and Redis close, and the secret files stop being watched.
   * Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/** The setting's name in camel case (`CATALOG_API_KEY` → `catalogApiKey`), naming the secret in errors. */
const camel = (setting: string) => setting.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Opens every secret the BFF uses, in one pass, so a deployment with two bad mounts is
 * fixed at once (rejects with `SecretsError` naming each): the OIDC client secret, the
 * session secret and encryption key, the metrics token, and each service's secret.
 * Asynchronous for the secrets in a manager, read in parallel; values and files are
 * opened at once, as before.
 */
export async function openAppSecrets(
  config: Config,
  services: readonly AnyService[],
  logger: Logger,
  now?: () => number,
): Promise<AppSecrets> {
  const downstream = services.flatMap((s) => {
    const c = s.credential;
    const ref = (config.downstream as Readonly<Record<string, AnyServiceConfig>>)[s.name]?.secret;
    return (c.kind === 'api-key' || c.kind === 'secret-key') && ref ? [[s.name, camel(c.secret), ref] as const] : [];
  });
  const refs: Record<string, SecretRef> = {
    oidcClientSecret: config.oidc.clientSecret,
    sessionSecret: config.session.secret,
    ...(config.session.encryptionKey ? { sessionEncryptionKey: config.session.encryptionKey } : {}),
    ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}),
    ...(config.session.redisPassword ? { redisPassword: config.session.redisPassword } : {}),
    ...Object.fromEntries(downstream.map(([, key, ref]) => [key, ref])),
  };
  const opened = await openSecrets(refs, {
    onError: (err) => logger.error({ err: { message: err.message } }, 'secret file could not be re-read'),
    onChange: () => logger.info('a secret file changed; the new value is in use'),
    managed: { config: config.secretManager, logger, ...(now ? { now } : {}) },
  });
  return {
    oidcClientSecret: opened.oidcClientSecret!,
    sessionSecret: opened.sessionSecret!,
    // Without SESSION_ENCRYPTION_KEY: derived from the session secret (see keysFromSessionSecret).
    sessionEncryptionKey: opened.sessionEncryptionKey ?? keysFromSessionSecret(opened.sessionSecret!),
    metricsToken: opened.metricsToken,
    redisPassword: opened.redisPassword,
    downstream: Object.fromEntries(downstream.map(([name, key]) => [name, opened[key]!])),
  };
}

/**
 * The one composition root: from a loaded config to a listening BFF. Opens the secrets,
 * starts the demo stand-ins of the services without a URL and the development IdP when
 * there is no issuer (both loaded with `import()` only then, so production never loads
 * `src/demo/` nor oidc-provider), connects Redis, builds the app and listens.
 */
export async function startBff(config: Config, overrides: BffOverrides = {}): Promise<RunningBff> {
  const logger =
    overrides.logger ?? createLogger({ level: config.log.level, ...(config.log.pretty ? { destination: await prettyDestination() } : {}) });
  for (const warning of config.warnings) logger.warn(warning);
  const services = overrides.services ?? SERVICES;
  const opened = await openAppSecrets(config, services, logger, overrides.now);
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => Object.values(opened.downstream).forEach((s) => s.close())];
  for (const s of [opened.oidcClientSecret, opened.sessionSecret, opened.sessionEncryptionKey, opened.metricsToken, opened.redisPassword]) {
    if (s) cleanups.push(() => s.close());
  }
  // An override replaces what was opened; the opened source is still closed above.
  const merged: AppSecrets = { ...opened, ...overrides.secrets };
  // A derived key follows the session secret in use, the caller's when it replaced it.
  const derivesKey = !config.session.encryptionKey && !overrides.secrets?.sessionEncryptionKey;
  const secrets: AppSecrets = derivesKey ? { ...merged, sessionEncryptionKey: keysFromSessionSecret(merged.sessionSecret) } : merged;
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };

  try {
    const downstream = config.downstream as Readonly<Record<string, AnyServiceConfig>>;
    const publicUrl = config.server.publicUrl;
    let issuer = config.oidc.issuer;
    let devIdp: AppDeps['devIdp'];
    let resourceServer: { clientId: string; clientSecret: string } | undefined;
    if (issuer === undefined) {
      const { createDevIdp } = await import('./demo/dev-idp.js');
      issuer = `${publicUrl}${DEMO.idpPath}`;
      const idp = createDevIdp({
        issuer,
        clients: [
          {
            clientId: config.oidc.clientId,
            clientSecret: secrets.oidcClientSecret.current(),
            redirectUris: [`${publicUrl}/auth/callback`],
            postLogoutRedirectUris: [`${publicUrl}/`],
            backchannelLogoutUri: `${publicUrl}/auth/backchannel-logout`,
            tokenEndpointAuthMethod: config.oidc.tokenAuthMethod,
          },
        ],
        clientCredentialsScopes: services.flatMap((s) => downstream[s.name]?.scope ?? []),
        logger: logger.child({ component: 'dev-idp' }),
      });
      devIdp = { path: DEMO.idpPath, handler: idp.handler };
      resourceServer = idp.resourceServer;
    }

    const urls: Record<string, string | undefined> = Object.fromEntries(
      services.map((s) => [s.name, overrides.urls?.[s.name] ?? downstream[s.name]?.url]),
    );
    const standIns = services.filter((s) => urls[s.name] === undefined);
    if (standIns.length > 0) {
      if (!resourceServer) {
        logger.warn('the demo services validate tokens with the embedded dev IdP only; set their URLs with a real OIDC_ISSUER');
      }
      const { startDemoServices } = await import('./demo/index.js');
      const demo = await startDemoServices({
        services: standIns,
        issuer,
        introspectionClient: resourceServer ?? { clientId: 'unknown', clientSecret: 'unknown' },
        secrets: Object.fromEntries(Object.entries(secrets.downstream).map(([name, source]) => [name, () => source.current()])),
        scopes: Object.fromEntries(standIns.flatMap((s) => (downstream[s.name]?.scope ? [[s.name, downstream[s.name]!.scope!]] : []))),
        logger: logger.child({ component: 'demo-services' }),
      });
      cleanups.push(() => demo.close());
      Object.assign(urls, demo.urls);
    }

    let redis = overrides.redis || undefined;
    if (overrides.redis === undefined && config.session.redis) {
      const client = await connectSharedRedis(config.session.redis, logger, secrets.redisPassword);
      cleanups.push(() => client.close());
      redis = client;
    }

    let tracer: Tracer | undefined;
    if (overrides.traceExporter) {
      const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
      const { RedactingSpanProcessor } = await import('./observability/span-redaction.js');
      const provider = new BasicTracerProvider({
        spanProcessors: [new RedactingSpanProcessor(new SimpleSpanProcessor(overrides.traceExporter))],
      });
      cleanups.push(() => provider.shutdown());
      tracer = provider.getTracer(TRACER_NAME);
    } else if (config.telemetry.tracing) {
      tracer = trace.getTracer(TRACER_NAME);
    }

    const app = await createApp(config, {
      logger,
      secrets,
      urls: urls as Record<string, string>,
      services,
      issuer,
      redis,
      devIdp,
      ...(overrides.schema ? { schema: overrides.schema } : {}),
      ...(overrides.now ? { now: overrides.now } : {}),
      ...(overrides.rateLimitWindowS ? { rateLimitWindowS: overrides.rateLimitWindowS } : {}),
      ...(tracer ? { tracer } : {}),
    });
    cleanups.push(() => app.close());
    const host = config.server.host;
    const port = await listen(app.httpServer, overrides.port ?? config.server.port, host);
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    logger.info({ url: publicUrl, host, port }, 'shop BFF listening');
    announceExplorers(logger, { sandbox: config.graphql.sandbox, publicUrl });

    // Only /metrics, for a scraper on the internal network; never published like PORT.
    let metricsServer: Server | undefined;
    if (config.metrics.port !== undefined) {
      metricsServer = createHttpServer(app.metricsApp, config.serverTimeouts);
      const metricsPort = await listen(metricsServer, overrides.metricsPort ?? config.metrics.port, host);
      logger.info({ host, port: metricsPort }, 'metrics listening');
      const server = metricsServer;
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      );
    }

    let closing: Promise<void> | undefined;
    return {
      url,
      app,
      config,
      close: () =>
        (closing ??= (async () => {
          app.beginShutdown();
          logger.info('draining');
          if (overrides.shutdownDelayMs) await new Promise((resolve) => setTimeout(resolve, overrides.shutdownDelayMs));
          await runCleanups();
        })()),
    };
  } catch (err) {
    await runCleanups();
    throw err;
  }
}

/** Listens and resolves with the port, or rejects with the listen error (a port in use). */
function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
