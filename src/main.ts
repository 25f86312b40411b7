import type { Server } from 'node:http';
import { createClient, type RedisClientType } from 'redis';
import { type AppSecrets, createApp, createHttpServer } from './app.js';
import { ConfigError, type Config, DEMO, loadConfigFromProcess, SERVICE_NAMES, type ServiceName } from './config/index.js';
import { createDevIdp } from './demo/dev-idp.js';
import { startDemoServices } from './demo/index.js';
import { createLogger } from './observability/logger.js';
import { openSecrets, SecretsError } from './secrets/index.js';

/** How long in-flight requests get to finish after SIGTERM before we exit anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function loadConfigOrExit(): Config {
  try {
    return loadConfigFromProcess();
  } catch (err) {
    if (err instanceof ConfigError) {
      // One message naming every problem, so a deployment is fixed in one pass.
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.log.level });
  for (const warning of config.warnings) logger.warn(warning);

  let secrets: AppSecrets;
  try {
    const refs = {
      oidcClientSecret: config.oidc.clientSecret,
      sessionSecret: config.session.secret,
      sessionEncryptionKey: config.session.encryptionKey,
      catalogApiKey: config.downstream.catalog.apiKey,
      paymentsSecretKey: config.downstream.payments.secretKey,
    };
    secrets = openSecrets(
      config.metrics.token ? { ...refs, metricsToken: config.metrics.token } : refs,
      {
        onError: (err) => logger.error({ err: { message: err.message } }, 'secret file could not be re-read'),
        onChange: () => logger.info('a secret file changed; the new value is in use'),
      },
    );
  } catch (err) {
    if (err instanceof SecretsError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const cleanups: Array<() => Promise<void> | void> = [];
  const publicUrl = config.server.publicUrl;

  let issuer = config.oidc.issuer;
  let devIdp: Parameters<typeof createApp>[1]['devIdp'];
  let resourceServer: { clientId: string; clientSecret: string } | undefined;
  if (issuer === undefined) {
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
      clientCredentialsScopes: [config.downstream.reviews.scope],
      logger: logger.child({ component: 'dev-idp' }),
    });
    devIdp = { path: DEMO.idpPath, handler: idp.handler };
    resourceServer = idp.resourceServer;
  }

  const urls = Object.fromEntries(SERVICE_NAMES.map((name) => [name, config.downstream[name].url])) as Record<
    ServiceName,
    string | undefined
  >;
  if (config.demo.services.length > 0) {
    if (!resourceServer) {
      logger.warn('the demo reviews service validates tokens with the embedded dev IdP only; set REVIEWS_URL with a real OIDC_ISSUER');
    }
    const demo = await startDemoServices({
      issuer,
      introspectionClient: resourceServer ?? { clientId: 'unknown', clientSecret: 'unknown' },
      catalogApiKey: () => secrets.catalogApiKey.current(),
      paymentsSecretKey: () => secrets.paymentsSecretKey.current(),
      reviewsScope: config.downstream.reviews.scope,
      logger: logger.child({ component: 'demo-services' }),
    });
    cleanups.push(() => demo.close());
    for (const name of config.demo.services) urls[name] = demo.urls[name];
  }

  let redis: RedisClientType | undefined;
  if (config.session.redisUrl) {
    redis = createClient({ url: config.session.redisUrl }) as RedisClientType;
    redis.on('error', (err: Error) => logger.error({ err: { message: err.message } }, 'redis connection error'));
    await redis.connect();
    cleanups.push(async () => {
      await redis?.quit();
    });
  }

  const bff = await createApp(config, {
    logger,
    secrets,
    urls: urls as Record<ServiceName, string>,
    issuer,
    redis,
    devIdp,
  });
  bff.httpServer.listen(config.server.port, config.server.host, () => {
    logger.info({ url: publicUrl, host: config.server.host, port: config.server.port }, 'shop BFF listening');
  });
  // Only /metrics, for a scraper on the internal network; never published like PORT.
  let metricsServer: Server | undefined;
  if (config.metrics.port !== undefined) {
    metricsServer = createHttpServer(bff.metricsApp, config.serverTimeouts);
    metricsServer.listen(config.metrics.port, config.server.host, () => {
      logger.info({ host: config.server.host, port: config.metrics.port }, 'metrics listening');
    });
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    metricsServer?.close();
    metricsServer?.closeIdleConnections();
    bff.httpServer.close(async () => {
      await bff.close();
      for (const cleanup of cleanups.reverse()) await cleanup();
      for (const s of Object.values(secrets)) s?.close();
      process.exit(0);
    });
    // Keep-alive connections with no request in flight would hold close() open.
    bff.httpServer.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Start-up failed for a reason other than settings (a port in use, Redis unreachable).
  process.stderr.write(`shop BFF failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});

