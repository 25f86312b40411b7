import { type ServiceSettings } from '../services/definition.js';
import { SERVICE_SETTINGS } from '../services/settings.js';
import { ConfigError, LOG_LEVELS, type LogLevel } from './index.js';
import { type Env, httpUrl, wholeNumberSetting } from './env-helpers.js';
import { serviceSecretSettings } from './downstream.js';
import { readSecretRef, type SecretRef } from './secrets.js';

/**
 * The settings of the demo services run as their own process (`node dist/demo/main.js`,
 * the `demo-services` container of docker-compose.yml): the same stand-ins `npm start`
 * runs in-process, checking a real identity provider's tokens.
 */
export interface DemoServicesConfig {
  /** `HOST`. Default `127.0.0.1`. */
  readonly host: string;
  /**
   * `DEMO_SERVICES_BASE_PORT`: the first service of the registry listens here, the next
   * one port up, and so on (catalog 4101, orders 4102, reviews 4103, payments 4104).
   * Default `4101`.
   */
  readonly ports: Readonly<Record<string, number>>;
  /** `OIDC_ISSUER`: where orders checks user tokens (userinfo) and reviews introspects. Required. */
  readonly issuer: string;
  /**
   * `DEMO_INTROSPECTION_CLIENT_ID` and `DEMO_INTROSPECTION_CLIENT_SECRET` (or `_FILE`):
   * the resource-server client reviews introspects as. Required.
   */
  readonly introspectionClient: { readonly clientId: string; readonly clientSecret: SecretRef };
  /**
   * The key each key-checking service expects, by service name (`CATALOG_API_KEY`,
   * `PAYMENTS_SECRET_KEY`, or their `_FILE`): the same settings as the BFF's. Outside
   * production the public demo value when unset; required in production.
   */
  readonly secrets: Readonly<Record<string, SecretRef>>;
  /** The scope a client-credentials token must carry, by service name (`REVIEWS_SCOPE`). */
  readonly scopes: Readonly<Record<string, string>>;
  /** `LOG_LEVEL`. Default `info`. */
  readonly logLevel: LogLevel;
}

export const DEMO_SERVICES_BASE_PORT = 4101;

/** Reads the demo services' settings; throws `ConfigError` naming every problem at once. */
export function loadDemoServicesConfig(env: Env, services: readonly ServiceSettings[] = SERVICE_SETTINGS): DemoServicesConfig {
  const problems: string[] = [];
  const production = env.NODE_ENV?.trim() === 'production';
  const text = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);

  const basePort = wholeNumberSetting(env, 'DEMO_SERVICES_BASE_PORT', DEMO_SERVICES_BASE_PORT, problems);
  if (basePort < 1 || basePort + services.length - 1 > 65535) {
    problems.push(`DEMO_SERVICES_BASE_PORT: must leave room for ${services.length} ports below 65536`);
  }
  const issuerText = text('OIDC_ISSUER');
  const issuer = issuerText === undefined ? undefined : httpUrl.safeParse(issuerText);
  if (issuer === undefined) problems.push('OIDC_ISSUER is required (the identity provider whose tokens the services check)');
  else if (!issuer.success) problems.push('OIDC_ISSUER: must be an absolute http:// or https:// URL without credentials');
  else if (production && !issuer.data.startsWith('https:')) problems.push('OIDC_ISSUER must be https:// in production');

  const clientId = text('DEMO_INTROSPECTION_CLIENT_ID');
  if (clientId === undefined) problems.push('DEMO_INTROSPECTION_CLIENT_ID is required (the client reviews introspects tokens as)');
  // A secret given twice is already a problem of its own: "required" would only add noise.
  const readSecret = (name: string, required: string | false): SecretRef | undefined => {
    const before = problems.length;
    const ref = readSecretRef(env, name, problems);
    if (ref === undefined && required !== false && problems.length === before) problems.push(`${name} (or ${name}_FILE) is required${required}`);
    return ref;
  };
  const clientSecret = readSecret('DEMO_INTROSPECTION_CLIENT_SECRET', '');

  const secrets: Record<string, SecretRef> = {};
  const bySetting = new Map(serviceSecretSettings(services).map((s) => [s.setting, s.demoValue]));
  const scopes: Record<string, string> = {};
  for (const s of services) {
    const c = s.credential;
    if (c.kind === 'client-credentials') scopes[s.name] = text(c.scopeSetting) ?? c.defaultScope;
    if (c.kind !== 'api-key' && c.kind !== 'secret-key') continue;
    const ref = readSecret(c.secret, production ? ' in production' : false);
    if (ref) secrets[s.name] = ref;
    else if (!production) secrets[s.name] = { kind: 'default', value: bySetting.get(c.secret)!, why: `demo ${s.name} key` };
  }

  const logLevel = text('LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host: text('HOST') ?? '127.0.0.1',
    ports: Object.fromEntries(services.map((s, i) => [s.name, basePort + i])),
    issuer: (issuer as { data: string }).data,
    introspectionClient: { clientId: clientId!, clientSecret: clientSecret! },
    secrets,
    scopes,
    logLevel: logLevel as LogLevel,
  };
}

/** The process's own environment: the demo services' one reader of `process.env`. */
export function loadDemoServicesConfigFromProcess(): DemoServicesConfig {
  return loadDemoServicesConfig(process.env);
}
