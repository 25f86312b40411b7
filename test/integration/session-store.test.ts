import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SessionData } from 'express-session';
import { createClient } from 'redis';
import {
  createLock,
  createMemoryState,
  createRedisState,
  createSessionStore,
  type RedisClient,
  type SessionStore,
  type SharedState,
} from '../../src/session/index.js';
import type { AuthSession } from '../../src/session/session-data.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * The session store's write rules against both backends: process memory, and a real
 * redis-server shared by two store instances on two connections (as two BFF instances
 * would be). What is asserted is what ends up stored.
 */

const IDLE_MS = 30 * 60_000;
const HOUR = 3_600_000;

/** A signed-in session (`auth: null`: an anonymous one) expiring after the idle window. */
function session(auth: Partial<AuthSession> | null = {}, extra: Partial<SessionData> = {}): SessionData {
  return {
    cookie: { originalMaxAge: IDLE_MS, expires: new Date(Date.now() + IDLE_MS), httpOnly: true, path: '/' } as SessionData['cookie'],
    ...(auth
      ? {
          auth: {
            sub: 'alice',
            name: 'Alice',
            email: null,
            sid: 'idp-sid-1',
            loginAt: Date.now(),
            expiresAt: Date.now() + 12 * HOUR,
            logoutId: 'login-1',
            tokens: 'blob-0',
            accessTokenExpiresAt: 1,
            tokenGeneration: 0,
            ...auth,
          },
        }
      : {}),
    ...extra,
  };
}

const call = <T>(fn: (cb: (err: unknown, v?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
const set = (store: SessionStore, id: string, s: SessionData) => call<void>((cb) => store.set(id, s, cb));
const destroy = (store: SessionStore, id: string) => call<void>((cb) => store.destroy(id, cb));

interface Backend {
  /** Two stores on one shared state (two instances). */
  stores: [SessionStore, SessionStore];
  states: [SharedState, SharedState];
  raw(key: string): Promise<string | null>;
}

let redisServer: RedisServer;
const clients: RedisClient[] = [];
let namespaces = 0;

beforeAll(async () => {
  redisServer = await startRedisServer();
});
afterAll(async () => {
  for (const c of clients) await c.quit();
  await redisServer?.stop();
});

async function backend(kind: 'memory' | 'redis'): Promise<Backend> {
  if (kind === 'memory') {
    const state = createMemoryState();
    return { stores: [createSessionStore({ state }), createSessionStore({ state })], states: [state, state], raw: (k) => state.get(k) };
  }
  const namespace = `t${++namespaces}:`;
  const [c1, c2] = await Promise.all(
    [1, 2].map(async () => {
      const c = createClient({ url: redisServer.url }) as RedisClient;
      await c.connect();
      clients.push(c);
      return c;
    }),
  );
  const states: [SharedState, SharedState] = [createRedisState(c1!, { namespace }), createRedisState(c2!, { namespace })];
  return {
    stores: [createSessionStore({ redis: c1!, namespace }), createSessionStore({ redis: c2!, namespace })],
    states,
    raw: async (k) => ((await c1!.get(`${namespace}${k}`)) as string | null) ?? null,
  };
}

describe.each(['memory', 'redis'] as const)('session store (%s)', (kind) => {
  let b: Backend;
  let one: SessionStore;
  let two: SessionStore;
  let n = 0;
  const id = () => `session-${kind}-${++n}`;
  beforeAll(async () => {
    b = await backend(kind);
    [one, two] = b.stores;
  });

  it('keeps the newer tokens when an older copy of the session is written back, and applies the rest of its changes', async () => {
    const sid = id();
    await set(one, sid, session());
    // Another instance refreshes: generation 1, a rotated refresh token inside the blob.
    expect(await two.updateTokens(sid, 'alice', { tokens: 'blob-1', tokenGeneration: 1, accessTokenExpiresAt: 2 })).toMatchObject({ tokens: 'blob-1' });
    // A request that loaded generation 0 before that writes its copy, with a change of its own.
    const pending = { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/', createdAt: 1 };
    await set(one, sid, session({}, { pendingLogins: [pending] }));
    const stored = await one.read(sid);
    expect(stored?.auth).toMatchObject({ tokens: 'blob-1', tokenGeneration: 1, accessTokenExpiresAt: 2 });
    expect(stored?.pendingLogins).toEqual([pending]);
  });

  it('never goes back a token generation: an older update returns the newer stored one', async () => {
    const sid = id();
    await set(one, sid, session());
    await one.updateTokens(sid, 'alice', { tokens: 'blob-2', tokenGeneration: 2, accessTokenExpiresAt: 3 });
    const late = await two.updateTokens(sid, 'alice', { tokens: 'blob-1', tokenGeneration: 1, accessTokenExpiresAt: 2 });
    expect(late).toMatchObject({ tokens: 'blob-2', tokenGeneration: 2 });
    expect((await one.read(sid))?.auth?.tokens).toBe('blob-2');
  });

  it('lets exactly one of two concurrent updates of the same generation win, and both see the winner', async () => {
    const sid = id();
    await set(one, sid, session());
    const [x, y] = await Promise.all([
      one.updateTokens(sid, 'alice', { tokens: 'blob-x', tokenGeneration: 1, accessTokenExpiresAt: 2 }),
      two.updateTokens(sid, 'alice', { tokens: 'blob-y', tokenGeneration: 1, accessTokenExpiresAt: 2 }),
    ]);
    const stored = (await one.read(sid))?.auth?.tokens;
    expect(['blob-x', 'blob-y']).toContain(stored);
    expect(x?.tokens).toBe(stored);
    expect(y?.tokens).toBe(stored);
  });

  it('does not bring an ended session back when a request that loaded it writes it late', async () => {
    const sid = id();
    await set(one, sid, session());
    await destroy(two, sid);
    await set(one, sid, session({ tokenGeneration: 5 }));
    expect(await one.read(sid)).toBeNull();
    expect(await b.raw(`sess:${sid}`)).toBe('ended');
    expect(await one.updateTokens(sid, 'alice', { tokens: 'blob-9', tokenGeneration: 9, accessTokenExpiresAt: 1 })).toBeNull();
    expect(await one.read(sid)).toBeNull();
  });

  it('drops a write that carries another login than the stored one', async () => {
    const sid = id();
    await set(one, sid, session({ logoutId: 'login-1' }));
    await set(two, sid, session({ logoutId: 'login-2', sub: 'mallory' }));
    expect((await one.read(sid))?.auth).toMatchObject({ logoutId: 'login-1', sub: 'alice' });
  });

  it('ends a session that was emptied, and never stores an empty one', async () => {
    const sid = id();
    await set(one, sid, session());
    await set(one, sid, session(null));
    expect(await b.raw(`sess:${sid}`)).toBe('ended');
    const fresh = id();
    await set(one, fresh, session(null));
    expect(await b.raw(`sess:${fresh}`)).toBeNull();
  });

  it('treats an unreadable entry as no session and never writes over it', async () => {
    const sid = id();
    await b.states[0].set(`sess:${sid}`, '{not json', HOUR);
    expect(await one.read(sid)).toBeNull();
    await set(one, sid, session());
    expect(await b.raw(`sess:${sid}`)).toBe('{not json');
  });

  it('ends sessions by the IdP sid, by sub, or by both, on whichever instance they were created', async () => {
    const [s1, s2, s3, s4] = [id(), id(), id(), id()];
    // Users of their own: the other tests of this backend signed alice in too.
    await set(one, s1, session({ sub: 'carol', sid: 'idp-a', logoutId: 'l1' }));
    await set(two, s2, session({ sub: 'carol', sid: 'idp-b', logoutId: 'l2' }));
    await set(one, s3, session({ sub: 'carol', sid: 'idp-c', logoutId: 'l3' }));
    await set(two, s4, session({ sub: 'dave', sid: 'idp-d', logoutId: 'l4' }));

    expect(await two.endSessions({ sid: 'idp-a' })).toBe(1);
    expect(await one.read(s1)).toBeNull();
    expect(await one.read(s2)).not.toBeNull();
    // sid and sub together: only sessions matching both.
    expect(await one.endSessions({ sid: 'idp-d', sub: 'carol' })).toBe(0);
    expect(await one.read(s4)).not.toBeNull();
    // sub alone: every session of the user, and nobody else's.
    expect(await one.endSessions({ sub: 'carol' })).toBe(2);
    expect(await two.read(s2)).toBeNull();
    expect(await two.read(s3)).toBeNull();
    expect(await two.read(s4)).not.toBeNull();
    // Ended sessions left the index.
    expect(await b.states[0].members('sess-by-sub:carol')).toEqual([]);
    expect(await one.endSessions({ sub: 'carol' })).toBe(0);
  });

  it('expires a session after its idle window, capped by its absolute end', async () => {
    const sid = id();
    // Measured from before the write, so a slow write cannot shorten what is left.
    const before = Date.now();
    await set(one, sid, session());
    const end = (await one.expiresAt(sid))!;
    expect(end - before).toBeGreaterThan(IDLE_MS - 2000);
    expect(end - Date.now()).toBeLessThanOrEqual(IDLE_MS);
    const capped = id();
    await set(one, capped, session({ expiresAt: Date.now() + 60_000 }));
    expect((await one.expiresAt(capped))! - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('admits one holder of a lock at a time across instances', async () => {
    const locks = b.states.map((state) => createLock({ state, pollMs: 2 }));
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        locks[i % 2]!.run('refresh:x', async () => {
          most = Math.max(most, ++inside);
          await new Promise((r) => setTimeout(r, 5));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // Released: free to take again at once.
    expect(await b.states[0].get('lock:refresh:x')).toBeNull();
  });
});
