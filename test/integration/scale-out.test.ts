import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { countRefreshes } from '../support/idp-refreshes.js';
import { expectOneRefreshFor20ParallelRequests, expectSignedIn as signedIn, ME } from '../support/shared-sessions.js';
import { type BffInstance, type Stack, startStack } from '../support/stack.js';

/**
 * Scale-out with nothing lost: instances that share one real Redis and only
 * `SESSION_SECRET` (no `SESSION_ENCRYPTION_KEY`: the token key is derived from the secret)
 * read each other's sessions, refresh once between them, survive a restart of any of
 * them and of Redis itself. A third instance with a key of its own stands for a
 * misconfigured deployment. Conditions are polled, never timed.
 */

const OTHER_KEY = 'another-encryption-key-0123456789abcdef';

let stack: Stack;
let a: BffInstance;
let b: BffInstance;
let odd: BffInstance;
let refreshes: () => number;

beforeAll(async () => {
  stack = await startStack({
    redis: true,
    instances: 3,
    env: { SESSION_ENCRYPTION_KEY: '' },
    // Instance 2 was deployed with a SESSION_ENCRYPTION_KEY the others do not have.
    instanceEnv: [undefined, undefined, { SESSION_ENCRYPTION_KEY: OTHER_KEY }],
  });
  stack.watchForLeak(OTHER_KEY);
  [a, b, odd] = stack.instances as [BffInstance, BffInstance, BffInstance];
  refreshes = countRefreshes(stack);
});
afterAll(async () => {
  await stack?.close();
});


const user = (jar: CookieJar, instance: BffInstance) => stack.fetch('/auth/user', { jar, instance, headers: { 'x-csrf': '1' } });

describe('instances sharing Redis and only SESSION_SECRET', () => {
  it('starts without SESSION_ENCRYPTION_KEY and serves a session made on A from B, and one made on B from A', async () => {
    expect(a.config.session.encryptionKey).toBeUndefined();
    const fromA = await stack.login('alice', 'alice', a);
    signedIn(await stack.graphql(ME, { jar: fromA, instance: b }));
    const fromB = await stack.login('bob', 'bob', b);
    signedIn(await stack.graphql(ME, { jar: fromB, instance: a }), 'bob');
    expect((await user(fromB, a)).status).toBe(200);
  });

  it('makes one refresh at the IdP for 20 parallel requests with an expired token spread over both, and all 20 succeed', async () => {
    await expectOneRefreshFor20ParallelRequests(stack, [a, b], refreshes);
  });

  it('keeps every session when an instance restarts: sessions made on it and on the other work on the new process', async () => {
    const jars = [await stack.login('alice', 'alice', a), await stack.login('bob', 'bob', b), await stack.login('alice', 'alice', a)];
    const subs = ['alice', 'bob', 'alice'];
    a = await stack.restartInstance(0);
    for (const [i, jar] of jars.entries()) signedIn(await stack.graphql(ME, { jar, instance: a }), subs[i]);
    b = await stack.restartInstance(1);
    for (const [i, jar] of jars.entries()) signedIn(await stack.graphql(ME, { jar, instance: b }), subs[i]);
  });
});

describe('an instance whose key cannot open a session', () => {
  it('answers 503 SESSION_STORE_UNAVAILABLE, logs a configuration error naming SESSION_ENCRYPTION_KEY, and keeps the session for the others', async () => {
    const jar = await stack.login('alice', 'alice', a);
    const linesBefore = stack.logLines.length;

    const g = await stack.graphql(ME, { jar, instance: odd });
    expect(g.status).toBe(503);
    expect(g.body.errors?.[0]?.extensions?.code).toBe('SESSION_STORE_UNAVAILABLE');
    expect(g.headers.get('retry-after')).toBe('1');
    // The cookie is not cleared: the session is not this instance's to end.
    expect(g.headers.getSetCookie().join()).not.toMatch(/Expires=Thu, 01 Jan 1970/);
    const rest = await user(jar, odd);
    expect(rest.status).toBe(503);
    expect(JSON.parse(rest.text_)).toMatchObject({ error: { code: 'SESSION_STORE_UNAVAILABLE' } });

    const logged = stack.logLines.slice(linesBefore).map((l) => JSON.parse(l) as Record<string, unknown>);
    const configError = logged.find((l) => l.configurationError === true);
    expect(configError).toMatchObject({ level: 50, instance: 2 });
    expect(String(configError?.msg)).toMatch(/configuration error.*Check SESSION_ENCRYPTION_KEY/);
    // Not taken for tampering: nothing said the session was ended.
    expect(logged.some((l) => /tampered|ending the session/.test(String(l.msg)))).toBe(false);

    signedIn(await stack.graphql(ME, { jar, instance: a }));
    signedIn(await stack.graphql(ME, { jar, instance: b }));
  });

  it('names SESSION_SECRET when the instance without SESSION_ENCRYPTION_KEY cannot open a session the other one sealed', async () => {
    const jar = await stack.login('bob', 'bob', odd);
    signedIn(await stack.graphql(ME, { jar, instance: odd }), 'bob');
    const linesBefore = stack.logLines.length;
    const g = await stack.graphql(ME, { jar, instance: b });
    expect(g.status).toBe(503);
    expect(g.body.errors?.[0]?.extensions?.code).toBe('SESSION_STORE_UNAVAILABLE');
    const lines = stack.logLines.slice(linesBefore).join('');
    expect(lines).toMatch(/Check SESSION_SECRET: without SESSION_ENCRYPTION_KEY the key is derived from it/);
    signedIn(await stack.graphql(ME, { jar, instance: odd }), 'bob');
  });
});
