import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { DEFAULT_TRUSTED_DOCUMENTS_FILE } from '../../src/config/index.js';
import { reply } from '../support/fault-server.js';
import { type FaultStack, startFaultStack } from '../support/fault-stack.js';
import { logoutThroughIdp } from '../support/oidc-login.js';
import { parseExposition, type Sample, valueOf } from '../support/prometheus.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * /metrics as a dashboard reads it: each series of docs/observability.md moves by what
 * really happened, counted at the other end (the demo services' recorder, the IdP's
 * events). Values are compared before and after each action, so the order of the tests
 * and what other tests did never matter.
 */

/** The dev IdP's access tokens live 300 s; this is past that. */
const PAST_EXPIRY_MS = 301_000;
const LOGIN_LIMIT = 8;

/** The clients' ProductPage, from the trusted-documents manifest: its name gets a label of its own. */
const PRODUCT_PAGE = Object.values(JSON.parse(readFileSync(DEFAULT_TRUSTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>).find((d) =>
  d.startsWith('query ProductPage'),
)!;

let stack: Stack;
let alice: CookieJar;

async function scrape(s: Stack = stack): Promise<Sample[]> {
  const res = await s.fetch('/metrics');
  expect(res.status).toBe(200);
  return parseExposition(res.text_);
}

/** Runs `action` and resolves how much each series asked for grew meanwhile. */
async function delta(action: () => Promise<unknown>, series: Array<[string, Record<string, string>?]>, s: Stack = stack): Promise<number[]> {
  const before = await scrape(s);
  await action();
  const after = await scrape(s);
  return series.map(([name, labels]) => valueOf(after, name, labels) - valueOf(before, name, labels));
}

beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_LOGIN_PER_MIN: String(LOGIN_LIMIT) } });
  alice = await stack.login('alice');
});
afterAll(() => stack?.close());

describe('HTTP routes', () => {
  it('are labelled by their template, never the raw URL', async () => {
    const samples = await scrape();
    const routes = new Set(samples.filter((s) => s.name === 'http_request_duration_seconds_count').map((s) => s.labels.route));
    // The sign-in above: login and callback apart, not one `/auth` for both.
    expect([...routes]).toEqual(expect.arrayContaining(['/auth/login', '/auth/callback']));
    expect([...routes]).not.toContain('/auth');
    // The callback's URL carried the authorization code and state; no label does.
    for (const route of routes) expect(route).not.toMatch(/[?=]/);
  });
});

describe('GraphQL operations', () => {
  it('counts an operation of the manifest by its name, and its duration', async () => {
    const [count] = await delta(
      async () => {
        const { body } = await stack.graphql(PRODUCT_PAGE, { variables: { id: 'p1' } });
        expect(body.errors).toBeUndefined();
      },
      [['graphql_operation_duration_seconds_count', { operation: 'ProductPage' }]],
    );
    expect(count).toBe(1);
  });

  it('counts any other name as `other`, so a client cannot grow the label set, and errors by code', async () => {
    const [other, invented, validation] = await delta(
      () => stack.graphql(`query InventedName123 { noSuchField }`),
      [
        ['graphql_operation_duration_seconds_count', { operation: 'other' }],
        ['graphql_operation_duration_seconds_count', { operation: 'InventedName123' }],
        ['graphql_operation_errors_total', { operation: 'other', code: 'GRAPHQL_VALIDATION_FAILED' }],
      ],
    );
    expect({ other, invented, validation }).toEqual({ other: 1, invented: 0, validation: 1 });
  });
});

describe('downstream services', () => {
  it('count each call by service and status class, as many as the services received', async () => {
    stack.recorder.clear();
    const [orders, catalog] = await delta(
      () => stack.graphql(`{ me { orders(first: 5) { id lines { product { name } } } } }`, { jar: alice }),
      [
        ['downstream_request_duration_seconds_count', { service: 'orders', outcome: '2xx' }],
        ['downstream_request_duration_seconds_count', { service: 'catalog' }],
      ],
    );
    expect(orders).toBe(stack.recorder.forService('orders').length);
    expect(orders).toBe(1);
    expect(catalog).toBe(stack.recorder.forService('catalog').length);
  });

  it('count shared-cache hits and misses: a hit makes no call', async () => {
    const query = `{ product(id: "p7") { id name } }`;
    const [firstMiss] = await delta(() => stack.graphql(query), [['downstream_cache_lookups_total', { service: 'catalog', result: 'miss' }]]);
    stack.recorder.clear();
    const [hits, misses] = await delta(
      () => stack.graphql(query),
      [
        ['downstream_cache_lookups_total', { service: 'catalog', result: 'hit' }],
        ['downstream_cache_lookups_total', { service: 'catalog', result: 'miss' }],
      ],
    );
    expect({ firstMiss, hits, misses, calls: stack.recorder.forService('catalog').length }).toEqual({ firstMiss: 1, hits: 1, misses: 0, calls: 0 });
  });

  it('show every service’s circuit, concurrency slots and queue', async () => {
    const samples = await scrape();
    for (const service of ['catalog', 'orders', 'reviews', 'payments']) {
      expect(valueOf(samples, 'downstream_circuit_state', { service, state: 'closed' })).toBe(1);
      expect(valueOf(samples, 'downstream_circuit_state', { service, state: 'open' })).toBe(0);
      expect(samples.some((s) => s.name === 'downstream_active_calls' && s.labels.service === service)).toBe(true);
      expect(samples.some((s) => s.name === 'downstream_queued_calls' && s.labels.service === service)).toBe(true);
      expect(samples.some((s) => s.name === 'downstream_retries_total' && s.labels.service === service)).toBe(true);
    }
  });
});

describe('sessions', () => {
  it('count sign-ins and sign-outs by client', async () => {
    let jar: CookieJar | undefined;
    const [signIns] = await delta(async () => (jar = await stack.login('bob')), [['auth_sign_ins_total', { client: 'web' }]]);
    expect(signIns).toBe(1);
    const user = await stack.fetch('/auth/user', { jar: jar!, headers: { 'x-csrf': '1' } });
    const { logoutUrl } = JSON.parse(user.text_) as { logoutUrl: string };
    const [signOuts] = await delta(
      () => logoutThroughIdp({ startUrl: new URL(logoutUrl, stack.bff.url).toString(), jar: jar! }),
      [['auth_sign_outs_total', { client: 'web' }]],
    );
    expect(signOuts).toBe(1);
  });

  it('count token refreshes, and refreshes that failed', async () => {
    const jar = await stack.login('alice');
    stack.clock.advance(PAST_EXPIRY_MS);
    try {
      const [refreshed] = await delta(
        async () => expect((await stack.graphql(`{ me { orders(first: 1) { id } } }`, { jar })).body.errors).toBeUndefined(),
        [['auth_token_refreshes_total', { result: 'refreshed' }]],
      );
      expect(refreshed).toBe(1);
      stack.clock.advance(PAST_EXPIRY_MS);
      stack.setIdpDown(true);
      const [failed] = await delta(
        async () => {
          const { body } = await stack.graphql(`{ me { orders(first: 1) { id } } }`, { jar });
          expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'DOWNSTREAM_UNAVAILABLE', service: 'identity-provider' });
        },
        [['auth_token_refreshes_total', { result: 'failed' }]],
      );
      expect(failed).toBe(1);
    } finally {
      stack.setIdpDown(false);
      stack.clock.reset();
    }
  });

  it('count back-channel logouts the IdP sent, and refused ones', async () => {
    const jar = await stack.login('alice');
    const [ended] = await delta(
      () => logoutThroughIdp({ startUrl: `${stack.issuer}/session/end`, jar }),
      [['auth_backchannel_logouts_total', { result: 'ended' }]],
    );
    expect(ended).toBe(1);
    const [refused] = await delta(
      () =>
        stack.fetch('/auth/backchannel-logout', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'logout_token=not-a-jwt',
        }),
      [['auth_backchannel_logouts_total', { result: 'refused' }]],
    );
    expect(refused).toBe(1);
  });
});

describe('rate limits', () => {
  it('count each refusal by limit', async () => {
    const before = await scrape();
    let refused = 0;
    // Sign-ins above used some of this minute's login budget; go past what is left.
    for (let i = 0; i < LOGIN_LIMIT + 1 && refused === 0; i++) {
      if ((await stack.fetch('/auth/login?returnTo=/')).status === 429) refused++;
    }
    expect(refused).toBe(1);
    const after = await scrape();
    expect(valueOf(after, 'http_rate_limited_total', { limit: 'login' }) - valueOf(before, 'http_rate_limited_total', { limit: 'login' })).toBe(1);
    expect(valueOf(after, 'http_request_duration_seconds_count', { route: '/auth/login', status: '429' })).toBeGreaterThanOrEqual(1);
  });
});

describe('what /metrics never shows', () => {
  it('holds no token, key, secret or cookie of the stack', async () => {
    const text = (await stack.fetch('/metrics')).text_;
    const needles = [...stack.issuedTokens, ...stack.secretValues, await alice.getCookieString(stack.bff.url)].filter((n) => n.length >= 8);
    expect(needles.filter((n) => text.includes(n))).toEqual([]);
  });
});

describe('a breaker opened by the service’s own failures', () => {
  let f: FaultStack<'catalog'>;
  beforeAll(async () => {
    f = await startFaultStack(['catalog'], { env: { CATALOG_MAX_RETRIES: '0', CATALOG_BREAKER_FAILURES: '2', CATALOG_BREAKER_RESET_MS: '60000' } });
  });
  afterAll(() => f?.close());

  it('shows as the open state of that service only, with its failures by status class', async () => {
    f.faults.catalog.on('GET', '/products', reply.error(500, 'INTERNAL', 'boom'));
    const [failures] = await delta(
      async () => {
        for (let i = 0; i < 2; i++) await f.stack.graphql(`{ product(id: "p${i}") { id } }`);
      },
      [['downstream_request_duration_seconds_count', { service: 'catalog', outcome: '5xx' }]],
      f.stack,
    );
    expect(failures).toBe(2);
    const samples = await scrape(f.stack);
    expect(valueOf(samples, 'downstream_circuit_state', { service: 'catalog', state: 'open' })).toBe(1);
    expect(valueOf(samples, 'downstream_circuit_state', { service: 'catalog', state: 'closed' })).toBe(0);
    expect(valueOf(samples, 'downstream_circuit_state', { service: 'orders', state: 'closed' })).toBe(1);
  });
});
