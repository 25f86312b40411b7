import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { runPaced, until } from '../support/paced.js';
import { expectSignedIn as signedIn, ME } from '../support/shared-sessions.js';
import { type BffInstance, type GraphQLResult, type Stack, startStack } from '../support/stack.js';

/**
 * Redis restarted under load, with persistence (append-only, fsync always, as
 * docker-compose.yml runs it with `everysec`): the sessions survive; requests made while
 * it is down get a coded 503 with a retry hint, never a 500, a crash or a lost session;
 * and both instances recover by themselves, without a restart, on the same cookies. The
 * requests "while down" are made inside `restart(whileDown)`, so they are known to
 * meet a stopped Redis whatever the machine's speed.
 */


let stack: Stack;
let a: BffInstance;
let b: BffInstance;
let alice: CookieJar;
let bob: CookieJar;

beforeAll(async () => {
  stack = await startStack({ redis: true, redisPersistence: true, instances: 2, env: { SESSION_ENCRYPTION_KEY: '' } });
  [a, b] = stack.instances as [BffInstance, BffInstance];
  alice = await stack.login('alice', 'alice', a);
  bob = await stack.login('bob', 'bob', b);
});
afterAll(() => stack?.close());

/** The answer of a request that met a stopped Redis: the contract's 503, nothing else. */
const unavailable = (r: GraphQLResult) => {
  expect(r.status).toBe(503);
  expect(r.body.errors?.[0]?.extensions?.code).toBe('SESSION_STORE_UNAVAILABLE');
  expect(r.body.errors?.[0]?.message).toMatch(/sessions are temporarily unavailable/i);
  expect(r.headers.get('retry-after')).toBeTruthy();
  // The cookie is kept: an outage is not a sign-out.
  expect(r.headers.getSetCookie().join()).not.toMatch(/Expires=Thu, 01 Jan 1970/);
};

/**
 * Resolves once both instances' /readyz answer 200 again (polled; a bound far beyond a
 * reconnection's backoff fails the test with a message rather than Jest's timeout).
 */
async function readyAgain(): Promise<void> {
  const limit = Date.now() + 15_000;
  for (;;) {
    const statuses = await Promise.all([a, b].map(async (instance) => (await stack.fetch('/readyz', { instance })).status));
    if (statuses.every((s) => s === 200)) return;
    if (Date.now() > limit) throw new Error(`not ready again after Redis came back: ${statuses.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Redis restarted while requests run', () => {
  it('keeps every session, answers a coded 503 while it is down, and recovers by itself', async () => {
    let down: GraphQLResult[] = [];
    let restDown: Awaited<ReturnType<Stack['fetch']>> | undefined;
    let restarted = false;
    const calls = await runPaced({
      concurrency: 4,
      callsAfter: 20,
      send: (i) => stack.graphql(ME, { jar: i % 2 ? bob : alice, instance: i % 3 ? a : b }),
      script: async ({ sent }) => {
        await until(() => sent() >= 20, '20 requests before the restart');
        await stack.redisServer!.restart(async () => {
          // Redis is stopped: each instance, each kind of caller.
          down = await Promise.all([
            stack.graphql(ME, { jar: alice, instance: a }),
            stack.graphql(ME, { jar: bob, instance: b }),
            stack.graphql(ME, { jar: alice, instance: b }),
          ]);
          restDown = await stack.fetch('/auth/user', { jar: bob, instance: a, headers: { 'x-csrf': '1' } });
        });
        restarted = true;
      },
    });
    expect(restarted).toBe(true);
    for (const r of down) unavailable(r);
    expect(restDown!.status).toBe(503);
    expect(JSON.parse(restDown!.text_)).toMatchObject({ error: { code: 'SESSION_STORE_UNAVAILABLE' } });
    expect(restDown!.headers.getSetCookie().join()).not.toMatch(/Expires=Thu, 01 Jan 1970/);

    // During the load: every answer was a success or the coded 503, never anything else.
    const outcomes = calls.map((c) => (c.outcome.status === 'fulfilled' ? c.outcome.value : undefined));
    expect(outcomes.filter((r) => r === undefined)).toEqual([]);
    const kinds = new Set(outcomes.map((r) => (r!.status === 200 ? 'ok' : `${r!.status} ${r!.body.errors?.[0]?.extensions?.code}`)));
    expect([...kinds].filter((k) => k !== 'ok' && k !== '503 SESSION_STORE_UNAVAILABLE')).toEqual([]);

    // Back by itself (the client reconnects with backoff): then every session works on
    // every instance, on the same cookies.
    await readyAgain();
    for (const instance of [a, b]) {
      signedIn(await stack.graphql(ME, { jar: alice, instance }), 'alice');
      signedIn(await stack.graphql(ME, { jar: bob, instance }), 'bob');
    }
  });

  it('says so in /readyz while Redis is down, and not after', async () => {
    let readyWhileDown: number[] = [];
    await stack.redisServer!.restart(async () => {
      readyWhileDown = await Promise.all([a, b].map(async (instance) => (await stack.fetch('/readyz', { instance })).status));
    });
    expect(readyWhileDown).toEqual([503, 503]);
    await readyAgain();
    signedIn(await stack.graphql(ME, { jar: alice, instance: b }), 'alice');
  });

  it('lets no secret or token out in any answer or log line of the outage', () => {
    expect(stack.leaks()).toEqual([]);
  });
});
