import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/index.js';
import { readSecretRef, SECRET_MANAGER_DEFAULTS } from '../../../src/config/secrets.js';
import { problemsOf } from '../../support/config-problems.js';
import { PRODUCTION_ENV as PRODUCTION } from '../../support/production-env.js';

const ref = (env: Record<string, string>, name = 'CATALOG_API_KEY') => {
  const problems: string[] = [];
  return { ref: readSecretRef(env, name, problems), problems };
};

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/catalog-AbCdEf';

describe('X_AWS_SECRET_ID', () => {
  it('names a secret by name or by ARN (colons and all), optionally a JSON key after #', () => {
    expect(ref({ CATALOG_API_KEY_AWS_SECRET_ID: 'shop/catalog' }).ref).toEqual({
      kind: 'aws-secrets-manager',
      setting: 'CATALOG_API_KEY_AWS_SECRET_ID',
      secretId: 'shop/catalog',
      jsonKey: undefined,
    });
    expect(ref({ CATALOG_API_KEY_AWS_SECRET_ID: `${ARN}#apiKey` }).ref).toMatchObject({ secretId: ARN, jsonKey: 'apiKey' });
    expect(ref({ CATALOG_API_KEY_AWS_SECRET_ID: ` ${ARN} ` }).ref).toMatchObject({ secretId: ARN });
  });

  it('refuses an empty name or an empty JSON key', () => {
    const message = 'CATALOG_API_KEY_AWS_SECRET_ID: must be a secret name or ARN, optionally followed by #<json key>';
    expect(ref({ CATALOG_API_KEY_AWS_SECRET_ID: 'shop/catalog#' })).toEqual({ ref: undefined, problems: [message] });
    expect(ref({ CATALOG_API_KEY_AWS_SECRET_ID: '#apiKey' })).toEqual({ ref: undefined, problems: [message] });
  });

  it('is one form of a secret: beside the value or the file it is a problem, named', () => {
    expect(ref({ CATALOG_API_KEY: 'k', CATALOG_API_KEY_AWS_SECRET_ID: 'shop/catalog' }).problems).toEqual([
      'CATALOG_API_KEY and CATALOG_API_KEY_AWS_SECRET_ID are both set: give only one',
    ]);
    expect(ref({ CATALOG_API_KEY_FILE: '/run/k', CATALOG_API_KEY_AWS_SECRET_ID: 'shop/catalog' }).problems).toEqual([
      'CATALOG_API_KEY_FILE and CATALOG_API_KEY_AWS_SECRET_ID are both set: give only one',
    ]);
    expect(ref({ CATALOG_API_KEY: 'k', CATALOG_API_KEY_FILE: '/run/k', CATALOG_API_KEY_AWS_SECRET_ID: 'shop/catalog' }).problems).toEqual([
      'CATALOG_API_KEY, CATALOG_API_KEY_FILE and CATALOG_API_KEY_AWS_SECRET_ID are all set: give only one',
    ]);
  });

  it('is accepted for every secret setting, and satisfies production', () => {
    const env: Record<string, string> = { ...PRODUCTION };
    for (const name of ['OIDC_CLIENT_SECRET', 'SESSION_SECRET', 'SESSION_ENCRYPTION_KEY', 'CATALOG_API_KEY', 'PAYMENTS_SECRET_KEY']) {
      delete env[name];
      env[`${name}_AWS_SECRET_ID`] = `shop/${name.toLowerCase()}`;
    }
    const config = loadConfig({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config.oidc.clientSecret).toMatchObject({ kind: 'aws-secrets-manager', secretId: 'shop/oidc_client_secret' });
    expect(config.session.secret).toMatchObject({ kind: 'aws-secrets-manager', secretId: 'shop/session_secret' });
    expect(config.downstream.payments.secret).toMatchObject({ kind: 'aws-secrets-manager', secretId: 'shop/payments_secret_key' });
    expect(config.secretManager).toEqual({
      pollMs: SECRET_MANAGER_DEFAULTS.pollMs,
      maxAgeMs: SECRET_MANAGER_DEFAULTS.maxAgeMs,
      aws: { region: 'eu-west-1', endpoint: undefined, credentials: undefined },
    });
  });

  it('names every problem of several secrets at once', () => {
    const problems = problemsOf({ ...PRODUCTION, CATALOG_API_KEY_AWS_SECRET_ID: '#', SESSION_SECRET_AWS_SECRET_ID: 'shop/session' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'CATALOG_API_KEY and CATALOG_API_KEY_AWS_SECRET_ID are both set: give only one',
        'SESSION_SECRET and SESSION_SECRET_AWS_SECRET_ID are both set: give only one',
      ]),
    );
  });
});

describe('the secrets manager’s settings', () => {
  const withAws = { CATALOG_API_KEY_AWS_SECRET_ID: 'shop/catalog' };

  it('poll every 5 minutes and allow 15 by default; the SDK resolves what is not given', () => {
    expect(loadConfig(withAws).secretManager).toEqual({ pollMs: 300_000, maxAgeMs: 900_000, aws: { region: undefined, endpoint: undefined, credentials: undefined } });
    // Without any managed secret there is no client to configure.
    expect(loadConfig({}).secretManager.aws).toBeUndefined();
  });

  it('take the SDK’s standard endpoint override and credentials', () => {
    const aws = (env: Record<string, string>) => loadConfig({ ...withAws, ...env }).secretManager.aws;
    expect(aws({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL: 'http://other' })?.endpoint).toBe('http://127.0.0.1:5000');
    expect(aws({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5001' })?.endpoint).toBe('http://127.0.0.1:5001');
    expect(aws({ AWS_DEFAULT_REGION: 'us-east-2' })?.region).toBe('us-east-2');
    expect(aws({ AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' })?.credentials).toEqual({
      accessKeyId: 'AKIA1',
      secretAccessKey: 's',
      sessionToken: 't',
    });
  });

  it('name each bad value', () => {
    expect(problemsOf({ ...withAws, SECRET_MANAGER_POLL_MS: '0' })).toContain('SECRET_MANAGER_POLL_MS: must be greater than 0');
    expect(problemsOf({ ...withAws, SECRET_MANAGER_POLL_MS: 'soon' }).some((p) => p.startsWith('SECRET_MANAGER_POLL_MS'))).toBe(true);
    expect(problemsOf({ ...withAws, SECRET_MANAGER_POLL_MS: '60000', SECRET_MANAGER_MAX_AGE_MS: '1000' })).toContain(
      'SECRET_MANAGER_MAX_AGE_MS must be at least SECRET_MANAGER_POLL_MS',
    );
    expect(problemsOf({ ...withAws, AWS_ACCESS_KEY_ID: 'AKIA1' })).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: give both or neither');
    expect(problemsOf({ ...withAws, AWS_ENDPOINT_URL: 'not a url' })).toContain(
      'AWS_ENDPOINT_URL: must be an absolute http:// or https:// URL without credentials',
    );
  });

  it('in production, the endpoint must be https (the secrets travel over it)', () => {
    const { CATALOG_API_KEY: _k, ...env } = PRODUCTION;
    expect(problemsOf({ ...env, ...withAws, AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://vpce.internal' })).toContain(
      'AWS_ENDPOINT_URL_SECRETS_MANAGER must be https:// in production',
    );
    expect(loadConfig({ ...env, ...withAws, AWS_ENDPOINT_URL_SECRETS_MANAGER: 'https://vpce.internal' }).secretManager.aws?.endpoint).toBe('https://vpce.internal');
  });

  it('default the maximum age to three polls when the poll interval is long', () => {
    expect(loadConfig({ ...withAws, SECRET_MANAGER_POLL_MS: '600000' }).secretManager).toMatchObject({ pollMs: 600_000, maxAgeMs: 1_800_000 });
  });
});
