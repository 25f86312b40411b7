import { problemsOf as problemsOfLoader } from '../../support/config-problems.js';
import { describe, expect, it } from '@jest/globals';
import { loadDemoServicesConfig } from '../../../src/config/demo-services.js';
import { DEMO } from '../../../src/config/index.js';

const REQUIRED = {
  OIDC_ISSUER: 'https://auth.example/realms/shop',
  DEMO_INTROSPECTION_CLIENT_ID: 'shop-resource-server',
  DEMO_INTROSPECTION_CLIENT_SECRET_FILE: '/run/secrets/demo/introspection_client_secret',
};
const PRODUCTION = {
  ...REQUIRED,
  NODE_ENV: 'production',
  CATALOG_API_KEY_FILE: '/run/secrets/demo/catalog_api_key',
  PAYMENTS_SECRET_KEY_FILE: '/run/secrets/demo/payments_secret_key',
};

const problemsOf = (env: Record<string, string>) => problemsOfLoader(env, loadDemoServicesConfig);

describe('loadDemoServicesConfig', () => {
  it('gives each service of the registry its port from the base port up, on HOST', () => {
    const config = loadDemoServicesConfig({ ...PRODUCTION, HOST: '0.0.0.0', DEMO_SERVICES_BASE_PORT: '5000' });
    expect(config.host).toBe('0.0.0.0');
    expect(config.ports).toEqual({ catalog: 5000, orders: 5001, reviews: 5002, payments: 5003 });
    expect(loadDemoServicesConfig(PRODUCTION).ports.catalog).toBe(4101);
  });

  it('reads the keys and the introspection secret as the BFF does (value or _FILE)', () => {
    const config = loadDemoServicesConfig(PRODUCTION);
    expect(config.secrets).toEqual({
      catalog: { kind: 'file', path: '/run/secrets/demo/catalog_api_key' },
      payments: { kind: 'file', path: '/run/secrets/demo/payments_secret_key' },
    });
    expect(config.introspectionClient).toEqual({
      clientId: 'shop-resource-server',
      clientSecret: { kind: 'file', path: '/run/secrets/demo/introspection_client_secret' },
    });
    expect(config.scopes).toEqual({ reviews: 'reviews:read' });
    expect(loadDemoServicesConfig({ ...PRODUCTION, REVIEWS_SCOPE: 'reviews' }).scopes).toEqual({ reviews: 'reviews' });
  });

  it('uses the public demo keys outside production only', () => {
    expect(loadDemoServicesConfig(REQUIRED).secrets.catalog).toMatchObject({ kind: 'default', value: DEMO.catalogApiKey });
    expect(problemsOf({ ...REQUIRED, NODE_ENV: 'production' })).toEqual([
      'CATALOG_API_KEY (or CATALOG_API_KEY_FILE) is required in production',
      'PAYMENTS_SECRET_KEY (or PAYMENTS_SECRET_KEY_FILE) is required in production',
    ]);
  });

  it('names every problem at once', () => {
    expect(problemsOf({ NODE_ENV: 'production', OIDC_ISSUER: 'http://auth.example', DEMO_SERVICES_BASE_PORT: 'x', LOG_LEVEL: 'loud', CATALOG_API_KEY: 'a', CATALOG_API_KEY_FILE: '/b' })).toEqual([
      'DEMO_SERVICES_BASE_PORT: must be a whole number',
      'OIDC_ISSUER must be https:// in production',
      'DEMO_INTROSPECTION_CLIENT_ID is required (the client reviews introspects tokens as)',
      'DEMO_INTROSPECTION_CLIENT_SECRET (or DEMO_INTROSPECTION_CLIENT_SECRET_FILE) is required',
      'CATALOG_API_KEY and CATALOG_API_KEY_FILE are both set: give only one',
      'PAYMENTS_SECRET_KEY (or PAYMENTS_SECRET_KEY_FILE) is required in production',
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(problemsOf({})).toContain('OIDC_ISSUER is required (the identity provider whose tokens the services check)');
    expect(problemsOf({ ...REQUIRED, OIDC_ISSUER: 'not a url' })).toEqual([
      'OIDC_ISSUER: must be an absolute http:// or https:// URL without credentials',
    ]);
    expect(problemsOf({ ...REQUIRED, DEMO_SERVICES_BASE_PORT: '65534' })).toEqual([
      'DEMO_SERVICES_BASE_PORT: must leave room for 4 ports below 65536',
    ]);
  });

  it('never puts a secret value in a problem', () => {
    const problems = problemsOf({ ...REQUIRED, DEMO_INTROSPECTION_CLIENT_SECRET: 'intro-secret-value', DEMO_INTROSPECTION_CLIENT_SECRET_FILE: '/x', LOG_LEVEL: 'x' });
    expect(problems.join('\n')).not.toContain('intro-secret-value');
  });
});
