import { ConfigError } from '../config/index.js';
import { type DemoServicesConfig, loadDemoServicesConfigFromProcess } from '../config/demo-services.js';
import { createLogger } from '../observability/logger.js';
import type { SecretRef } from '../config/index.js';
import { openSecrets, SecretsError, type SecretSource } from '../secrets/index.js';
import { startDemoServices } from './index.js';

/**
 * The demo services as their own process (the `demo-services` container of
 * docker-compose.yml): the stand-ins of docs/downstream.md against a real identity
 * provider. Keys are re-read when their files change, so a rotation reaches them as it
 * reaches the BFF.
 */
/** The introspection secret's key among the opened ones (no service is named so). */
const INTROSPECTION = ' introspection';

async function main(): Promise<void> {
  let config: DemoServicesConfig;
  try {
    config = loadDemoServicesConfigFromProcess();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  const refs: Record<string, SecretRef> = { ...config.secrets, [INTROSPECTION]: config.introspectionClient.clientSecret };
  const opened: Record<string, SecretSource> = await openSecrets(refs, {
    onError: (err) => logger.error({ err: { message: err.message } }, 'secret file could not be re-read'),
  });
  const { [INTROSPECTION]: introspection, ...keys } = opened;
  const demo = await startDemoServices({
    issuer: config.issuer,
    // A getter: the introspection call reads the secret each time, so a rotated file counts.
    introspectionClient: {
      clientId: config.introspectionClient.clientId,
      get clientSecret() {
        return introspection!.current();
      },
    },
    secrets: Object.fromEntries(Object.entries(keys).map(([name, source]) => [name, () => source.current()])),
    scopes: config.scopes,
    host: config.host,
    ports: config.ports,
    logger,
  });
  logger.info({ urls: demo.urls }, 'demo services listening');

  const shutdown = () => {
    demo.close().then(
      () => {
        for (const source of Object.values(opened)) source.close();
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  const message = err instanceof SecretsError ? err.message : `demo services failed to start: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
