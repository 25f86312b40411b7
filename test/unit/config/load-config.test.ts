import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_TRUSTED_DOCUMENTS_FILE, DEMO, loadConfig } from '../../../src/config/index.js';
import { problemsOf } from '../../support/config-problems.js';
import { PRODUCTION_ENV as PRODUCTION } from '../../support/production-env.js';



describe('loadConfig outside production', () => {
  it('starts with no settings at all, announcing each demo default once', () => {
    const config = loadConfig({});
    expect(config.production).toBe(false);
    expect(config.server).toMatchObject({ port: 4000, host: '127.0.0.1', publicUrl: 'http://localhost:4000' });
    expect(config.demo).toEqual({ services: ['catalog', 'orders', 'reviews', 'payments'], memoryStore: true });
    // No issuer: the embedded development IdP.
    expect(config.oidc.issuer).toBeUndefined();
    expect(config.oidc.scopes).toEqual(['openid', 'profile', 'email', 'offline_access']);
    expect(config.session).toMatchObject({ idleTimeoutS: 1800, absoluteTimeoutS: 43200, tokenRefreshSkewS: 60, cookieName: 'shop.sid' });
    expect(config.downstream.catalog.secret).toMatchObject({ kind: 'default', value: DEMO.catalogApiKey });
    expect(config.warnings.filter((w) => w.includes('demo services'))).toHaveLength(1);
    expect(config.warnings.filter((w) => w.includes('identity provider'))).toHaveLength(1);
    expect(config.warnings.filter((w) => w.includes('memory'))).toHaveLength(1);
    expect(config.graphql).toEqual({ executor: 'jit', introspection: true, sandbox: true, requestBudgetMs: 10000 });
    expect(config.responseCache).toEqual({ maxEntries: 1000 });
  });

  it('can turn the shared response cache off', () => {
    expect(loadConfig({ DOWNSTREAM_CACHE_MAX_ENTRIES: '0' }).responseCache).toEqual({ maxEntries: 0 });
  });

  it('derives PUBLIC_URL from PORT and adds ALLOWED_ORIGINS as origins', () => {
    const config = loadConfig({ PORT: '5001', ALLOWED_ORIGINS: 'https://app.example/, https://m.example:8443' });
    expect(config.server.publicUrl).toBe('http://localhost:5001');
    expect(config.server.allowedOrigins).toEqual(['http://localhost:5001', 'https://app.example', 'https://m.example:8443']);
  });

  it('uses only the demo services that have no URL', () => {
    const config = loadConfig({ CATALOG_URL: 'http://127.0.0.1:9000/' });
    expect(config.downstream.catalog.url).toBe('http://127.0.0.1:9000');
    expect(config.demo.services).toEqual(['orders', 'reviews', 'payments']);
  });

  it('reads a secret from X_FILE and refuses X and X_FILE together', () => {
    expect(loadConfig({ CATALOG_API_KEY_FILE: '/run/secrets/catalog' }).downstream.catalog.secret).toEqual({
      kind: 'file',
      path: '/run/secrets/catalog',
    });
    expect(problemsOf({ CATALOG_API_KEY: 'k', CATALOG_API_KEY_FILE: '/x' })).toEqual([
      'CATALOG_API_KEY and CATALOG_API_KEY_FILE are both set: give only one',
    ]);
  });

  it('names every malformed setting at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      PUBLIC_URL: 'ftp://x',
      REDIS_URL: 'http://redis',
      SESSION_IDLE_TIMEOUT_S: '-5',
      LOG_LEVEL: 'loud',
      OIDC_TOKEN_AUTH_METHOD: 'private_key_jwt',
    });
    for (const name of ['PORT', 'PUBLIC_URL', 'REDIS_URL', 'SESSION_IDLE_TIMEOUT_S', 'LOG_LEVEL', 'OIDC_TOKEN_AUTH_METHOD']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('times requests to the IdP out after OIDC_TIMEOUT_MS, and the logout revocation after OIDC_REVOKE_TIMEOUT_MS', () => {
    expect(loadConfig({}).oidc).toMatchObject({ timeoutMs: 10_000, revokeTimeoutMs: 2000 });
    expect(loadConfig({ OIDC_TIMEOUT_MS: '1500', OIDC_REVOKE_TIMEOUT_MS: '500' }).oidc).toMatchObject({
      timeoutMs: 1500,
      revokeTimeoutMs: 500,
    });
    const problems = problemsOf({ OIDC_TIMEOUT_MS: '0', OIDC_REVOKE_TIMEOUT_MS: 'soon' });
    expect(problems.some((p) => p.startsWith('OIDC_TIMEOUT_MS'))).toBe(true);
    expect(problems.some((p) => p.startsWith('OIDC_REVOKE_TIMEOUT_MS'))).toBe(true);
  });

  it('uses __Host- Secure cookies under an https PUBLIC_URL', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://shop.example' });
    expect(config.server.secureCookies).toBe(true);
    expect(config.session.cookieName).toBe('__Host-shop.sid');
  });
});

describe('loadConfig in production', () => {
  it('accepts a complete, safe configuration with no demo default', () => {
    const config = loadConfig(PRODUCTION);
    expect(config.production).toBe(true);
    expect(config.demo).toEqual({ services: [], memoryStore: false });
    expect(config.oidc.issuer).toBe('https://id.example');
    expect(config.warnings).toEqual([]);
    expect(config.graphql).toMatchObject({ introspection: false, sandbox: false });
    expect(config.oidc.allowInsecureIssuer).toBe(false);
  });

  it('refuses every demo default and names all missing settings in one error', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    for (const name of [
      'PUBLIC_URL',
      'OIDC_ISSUER',
      'OIDC_CLIENT_ID',
      'OIDC_CLIENT_SECRET',
      'REDIS_URL',
      'SESSION_SECRET',
      'CATALOG_URL',
      'ORDERS_URL',
      'REVIEWS_URL',
      'PAYMENTS_URL',
      'CATALOG_API_KEY',
      'PAYMENTS_SECRET_KEY',
    ]) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('starts without SESSION_ENCRYPTION_KEY (the key is derived from SESSION_SECRET), but never without a shared secret at all', () => {
    const { SESSION_ENCRYPTION_KEY: _unused, ...withoutKey } = PRODUCTION;
    const config = loadConfig(withoutKey);
    expect(config.session.encryptionKey).toBeUndefined();
    expect(config.session.secret).toEqual({ kind: 'value', value: PRODUCTION.SESSION_SECRET });
    const { SESSION_SECRET: _also, ...neither } = withoutKey;
    expect(problemsOf(neither)).toContain('SESSION_SECRET (or SESSION_SECRET_FILE or SESSION_SECRET_AWS_SECRET_ID) is required in production');
  });

  it('refuses plain http, short secrets and the public demo keys', () => {
    const problems = problemsOf({
      ...PRODUCTION,
      PUBLIC_URL: 'http://shop.example',
      OIDC_ISSUER: 'http://id.example',
      SESSION_SECRET: 'short',
      CATALOG_API_KEY: DEMO.catalogApiKey,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('PUBLIC_URL must be https://'),
        expect.stringContaining('OIDC_ISSUER must be https://'),
        expect.stringContaining('SESSION_SECRET must be at least 32'),
        expect.stringContaining('CATALOG_API_KEY is the public demo value'),
      ]),
    );
  });

  it('never echoes a secret value in its problems', () => {
    const problems = problemsOf({ ...PRODUCTION, SESSION_SECRET: 'tiny-secret-value' });
    expect(problems.join('\n')).not.toContain('tiny-secret-value');
  });

  it('can turn Sandbox and introspection on explicitly', () => {
    const config = loadConfig({ ...PRODUCTION, GRAPHQL_INTROSPECTION: 'true', GRAPHQL_SANDBOX: '1' });
    expect(config.graphql).toMatchObject({ introspection: true, sandbox: true });
  });
});

describe('downstream resilience settings', () => {
  it('has sensible defaults, with a smaller concurrency cap for payments (no batch endpoint)', () => {
    const { downstream } = loadConfig({});
    expect(downstream.catalog).toMatchObject({ timeoutMs: 3000, resilience: { maxRetries: 2, breakAfterFailures: 5, halfOpenAfterMs: 5000, maxConcurrent: 64 } });
    expect(downstream.payments.resilience.maxConcurrent).toBe(16);
  });

  it('takes DOWNSTREAM_* for every service and <SERVICE>_* for one', () => {
    const { downstream } = loadConfig({ DOWNSTREAM_TIMEOUT_MS: '800', DOWNSTREAM_MAX_RETRIES: '0', REVIEWS_TIMEOUT_MS: '250', PAYMENTS_MAX_CONCURRENT: '4' });
    expect(downstream.catalog.timeoutMs).toBe(800);
    expect(downstream.reviews.timeoutMs).toBe(250);
    expect(downstream.orders.resilience.maxRetries).toBe(0);
    expect(downstream.payments.resilience.maxConcurrent).toBe(4);
  });

  it('bounds one attempt by the whole call unless <SERVICE>_ATTEMPT_TIMEOUT_MS is shorter', () => {
    const { downstream } = loadConfig({ DOWNSTREAM_TIMEOUT_MS: '800', REVIEWS_ATTEMPT_TIMEOUT_MS: '200', ORDERS_TIMEOUT_MS: '100', DOWNSTREAM_ATTEMPT_TIMEOUT_MS: '500' });
    expect(downstream.reviews).toMatchObject({ timeoutMs: 800, attemptTimeoutMs: 200 });
    expect(downstream.catalog).toMatchObject({ timeoutMs: 800, attemptTimeoutMs: 500 });
    // An attempt can never outlast its call.
    expect(downstream.orders).toMatchObject({ timeoutMs: 100, attemptTimeoutMs: 100 });
    expect(loadConfig({}).downstream.payments).toMatchObject({ timeoutMs: 3000, attemptTimeoutMs: 3000 });
  });

  it('names every bad resilience setting together with the other problems', () => {
    const problems = problemsOf({ CATALOG_MAX_CONCURRENT: '0', DOWNSTREAM_BREAKER_FAILURES: 'many', PORT: 'x' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('CATALOG_MAX_CONCURRENT'),
        expect.stringContaining('DOWNSTREAM_BREAKER_FAILURES'),
        expect.stringContaining('PORT'),
      ]),
    );
  });
});

describe('secret rotation settings', () => {
  it('default to a 2 s wait for a new secret and a 5 minute grace for the previous one, for both downstream secrets', () => {
    const { downstream } = loadConfig({});
    expect(downstream.catalog.secretRotation).toEqual({ waitMs: 2000, previousGraceMs: 300_000 });
    expect(downstream.payments.secretRotation).toEqual({ waitMs: 2000, previousGraceMs: 300_000 });
  });

  it('take SECRET_ROTATION_WAIT_MS and SECRET_PREVIOUS_GRACE_MS, 0 turning each off', () => {
    const { downstream } = loadConfig({ SECRET_ROTATION_WAIT_MS: '0', SECRET_PREVIOUS_GRACE_MS: '60000' });
    expect(downstream.payments.secretRotation).toEqual({ waitMs: 0, previousGraceMs: 60_000 });
  });

  it('reports malformed values with the other problems', () => {
    const problems = problemsOf({ SECRET_ROTATION_WAIT_MS: '-1', SECRET_PREVIOUS_GRACE_MS: 'soon' });
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining('SECRET_ROTATION_WAIT_MS'), expect.stringContaining('SECRET_PREVIOUS_GRACE_MS')]),
    );
  });
});

describe('session cookie name', () => {
  it('is configurable and gets __Host- under https', () => {
    expect(loadConfig({ SESSION_COOKIE_NAME: 'shop2.sid' }).session.cookieName).toBe('shop2.sid');
    expect(loadConfig({ SESSION_COOKIE_NAME: 'shop2.sid', PUBLIC_URL: 'https://x.example' }).session.cookieName).toBe('__Host-shop2.sid');
  });

  it('refuses a name that would break the cookie rules', () => {
    expect(problemsOf({ SESSION_COOKIE_NAME: '__Host-sid' })[0]).toContain('SESSION_COOKIE_NAME');
    expect(problemsOf({ SESSION_COOKIE_NAME: '__Secure-sid', PUBLIC_URL: 'https://x.example' })[0]).toContain('SESSION_COOKIE_NAME');
    expect(problemsOf({ SESSION_COOKIE_NAME: 'sid; Domain=evil.example' })[0]).toContain('SESSION_COOKIE_NAME');
  });
});

describe('trusted documents', () => {
  it('are logged, not enforced, outside production, from the manifest codegen writes', () => {
    const { trustedDocuments } = loadConfig({});
    expect(trustedDocuments).toEqual({ mode: 'log', file: DEFAULT_TRUSTED_DOCUMENTS_FILE });
    // Resolved from the module, not the working directory, and present in the project.
    expect(DEFAULT_TRUSTED_DOCUMENTS_FILE).toBe(resolve('client/generated/persisted-documents.json'));
    expect(existsSync(DEFAULT_TRUSTED_DOCUMENTS_FILE)).toBe(true);
  });

  it('are enforced by default in production', () => {
    expect(loadConfig(PRODUCTION).trustedDocuments.mode).toBe('enforce');
  });

  it('take GRAPHQL_TRUSTED_DOCUMENTS and an absolute GRAPHQL_TRUSTED_DOCUMENTS_FILE', () => {
    const config = loadConfig({ ...PRODUCTION, GRAPHQL_TRUSTED_DOCUMENTS: 'log', GRAPHQL_TRUSTED_DOCUMENTS_FILE: 'ops/manifest.json' });
    expect(config.trustedDocuments).toEqual({ mode: 'log', file: resolve('ops/manifest.json') });
    expect(loadConfig({ GRAPHQL_TRUSTED_DOCUMENTS: 'off' }).trustedDocuments.mode).toBe('off');
  });

  it('refuse an unknown mode with the other problems', () => {
    const problems = problemsOf({ GRAPHQL_TRUSTED_DOCUMENTS: 'strict', PORT: 'x' });
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^GRAPHQL_TRUSTED_DOCUMENTS: must be enforce, log or off/), expect.stringContaining('PORT')]),
    );
  });
});

describe('the GraphQL executor (GRAPHQL_EXECUTOR)', () => {
  it('is graphql-jit by default, in production too, and graphql-js when asked', () => {
    expect(loadConfig({}).graphql.executor).toBe('jit');
    expect(loadConfig(PRODUCTION).graphql.executor).toBe('jit');
    expect(loadConfig({ GRAPHQL_EXECUTOR: 'graphql-js' }).graphql.executor).toBe('graphql-js');
  });

  it('refuses another value with the other problems', () => {
    const problems = problemsOf({ GRAPHQL_EXECUTOR: 'fast', PORT: 'x' });
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^GRAPHQL_EXECUTOR: must be jit or graphql-js/), expect.stringContaining('PORT')]),
    );
  });
});

describe('rate limit, server timeout and metrics settings', () => {
  it('default to the contract: 600 per session, 300 per anonymous client, 20 sign-ins per minute; Node timeouts that bite', () => {
    const config = loadConfig({});
    expect(config.rateLimits).toEqual({ sessionPerMin: 600, anonymousPerMin: 300, loginPerMin: 20 });
    expect(config.serverTimeouts).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 });
    expect(config.metrics).toEqual({ port: undefined, token: undefined });
    expect(loadConfig(PRODUCTION).rateLimits).toEqual({ sessionPerMin: 600, anonymousPerMin: 300, loginPerMin: 20 });
  });

  it('takes each limit, 0 turning it off', () => {
    const config = loadConfig({ RATE_LIMIT_SESSION_PER_MIN: '0', RATE_LIMIT_ANONYMOUS_PER_MIN: '50', RATE_LIMIT_LOGIN_PER_MIN: '5' });
    expect(config.rateLimits).toEqual({ sessionPerMin: 0, anonymousPerMin: 50, loginPerMin: 5 });
  });

  it('names every bad setting at once: malformed limits, timeouts out of order, a clashing METRICS_PORT', () => {
    const problems = problemsOf({
      RATE_LIMIT_SESSION_PER_MIN: '-1',
      RATE_LIMIT_ANONYMOUS_PER_MIN: 'lots',
      RATE_LIMIT_LOGIN_PER_MIN: '1.5',
      SERVER_HEADERS_TIMEOUT_MS: '40000',
      SERVER_KEEP_ALIVE_TIMEOUT_MS: '60000',
      PORT: '4000',
      METRICS_PORT: '4000',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('RATE_LIMIT_SESSION_PER_MIN'),
        expect.stringContaining('RATE_LIMIT_ANONYMOUS_PER_MIN'),
        expect.stringContaining('RATE_LIMIT_LOGIN_PER_MIN'),
        'SERVER_HEADERS_TIMEOUT_MS must not exceed SERVER_REQUEST_TIMEOUT_MS',
        'SERVER_KEEP_ALIVE_TIMEOUT_MS must be below SERVER_HEADERS_TIMEOUT_MS',
        'METRICS_PORT must differ from PORT (it is a separate listener)',
      ]),
    );
    expect(problemsOf({ SERVER_REQUEST_TIMEOUT_MS: '0', METRICS_PORT: '70000' })).toEqual(
      expect.arrayContaining([expect.stringContaining('SERVER_REQUEST_TIMEOUT_MS: must be greater than 0'), expect.stringContaining('METRICS_PORT')]),
    );
  });

  it('reads METRICS_TOKEN or METRICS_TOKEN_FILE, at least 32 characters in production, never echoed', () => {
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_TOKEN: 'short-is-fine-in-dev' }).metrics).toEqual({
      port: 9464,
      token: { kind: 'value', value: 'short-is-fine-in-dev' },
    });
    expect(loadConfig({ ...PRODUCTION, METRICS_TOKEN_FILE: '/run/secrets/metrics' }).metrics.token).toEqual({ kind: 'file', path: '/run/secrets/metrics' });
    const problems = problemsOf({ ...PRODUCTION, METRICS_TOKEN: 'short-metrics-token' });
    expect(problems).toEqual(['METRICS_TOKEN must be at least 32 characters']);
    expect(problems.join()).not.toContain('short-metrics-token');
    expect(problemsOf({ METRICS_TOKEN: 'a', METRICS_TOKEN_FILE: '/x' })).toEqual(['METRICS_TOKEN and METRICS_TOKEN_FILE are both set: give only one']);
  });
});

describe('operation limits', () => {
  it('default to the clients contract: depth 10, aliases 15, tokens 2000, directives 50, cost 5000, 50 calls', () => {
    expect(loadConfig({}).operationLimits).toEqual({
      maxDepth: 10,
      maxAliases: 15,
      maxTokens: 2000,
      maxDirectives: 50,
      maxCost: 5000,
      maxDownstreamCalls: 50,
    });
  });

  it('take every GRAPHQL_MAX_* setting', () => {
    const limits = loadConfig({
      GRAPHQL_MAX_DEPTH: '12',
      GRAPHQL_MAX_ALIASES: '3',
      GRAPHQL_MAX_TOKENS: '900',
      GRAPHQL_MAX_DIRECTIVES: '5',
      GRAPHQL_MAX_COST: '800',
      GRAPHQL_MAX_DOWNSTREAM_CALLS: '7',
    }).operationLimits;
    expect(limits).toEqual({ maxDepth: 12, maxAliases: 3, maxTokens: 900, maxDirectives: 5, maxCost: 800, maxDownstreamCalls: 7 });
  });

  it('refuses 0 (no limit may be turned off) and malformed values, all reported at once', () => {
    const problems = problemsOf({
      GRAPHQL_MAX_DEPTH: '0',
      GRAPHQL_MAX_ALIASES: 'many',
      GRAPHQL_MAX_TOKENS: '-5',
      GRAPHQL_MAX_DIRECTIVES: '1.5',
      GRAPHQL_MAX_COST: '0',
      GRAPHQL_MAX_DOWNSTREAM_CALLS: '0',
    });
    for (const name of [
      'GRAPHQL_MAX_DEPTH',
      'GRAPHQL_MAX_ALIASES',
      'GRAPHQL_MAX_TOKENS',
      'GRAPHQL_MAX_DIRECTIVES',
      'GRAPHQL_MAX_COST',
      'GRAPHQL_MAX_DOWNSTREAM_CALLS',
    ]) {
      expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(name)]));
    }
  });
});

// The native-app sign-in settings of contracts/mobile-sign-in.md.
describe('MOBILE_APPS', () => {
  it('is empty by default (the mobile endpoints answer 404) with a 60 s code lifetime', () => {
    const { mobile } = loadConfig({});
    expect(mobile.apps.size).toBe(0);
    expect(mobile.handoffTtlS).toBe(60);
  });

  it('reads appId=returnUrl pairs, a custom scheme allowed outside production', () => {
    const { mobile } = loadConfig({
      MOBILE_APPS: ' shop-ios=https://shop.example/ios/signed-in , shop-dev=shop-dev://signed-in',
      MOBILE_HANDOFF_TTL_S: '30',
    });
    expect([...mobile.apps.values()]).toEqual([
      { id: 'shop-ios', returnUrl: 'https://shop.example/ios/signed-in' },
      { id: 'shop-dev', returnUrl: 'shop-dev://signed-in' },
    ]);
    expect(mobile.handoffTtlS).toBe(30);
  });

  it('accepts only https claimed links in production', () => {
    const env = { ...PRODUCTION, MOBILE_APPS: 'shop-ios=https://shop.example/ios/signed-in' };
    expect(loadConfig(env).mobile.apps.get('shop-ios')?.returnUrl).toBe('https://shop.example/ios/signed-in');
    expect(problemsOf({ ...PRODUCTION, MOBILE_APPS: 'shop-dev=shop-dev://signed-in' })).toEqual([
      'MOBILE_APPS: return URL of "shop-dev" must be https:// in production (a claimed link, not a custom scheme)',
    ]);
  });

  it('names every problem at once', () => {
    const problems = problemsOf({
      MOBILE_APPS: 'no-url,bad id=https://a.example/x,a=http://a.example/x,b=https://b.example/x?y=1,c=https://c.example/c,c=https://c.example/d',
      MOBILE_HANDOFF_TTL_S: '0',
    });
    expect(problems).toEqual([
      'MOBILE_APPS: return URL of "no-url" must be an absolute URL (the app\'s claimed https link)',
      'MOBILE_APPS: "bad id" is not an app id (letters, digits, . _ -; at most 64)',
      'MOBILE_APPS: return URL of "a" must be https:// or a custom scheme',
      'MOBILE_APPS: return URL of "b" must have no credentials, query or fragment',
      'MOBILE_APPS: app "c" is listed twice',
      'MOBILE_HANDOFF_TTL_S: must be between 1 and 600 seconds',
    ]);
  });
});
