import { describe, expect, it } from '@jest/globals';
import type { SessionData, Store } from 'express-session';
import { createMemoryState } from '../../../src/session/memory-state.js';
import { sessionTtlSeconds } from '../../../src/session/session-records.js';
import type { SharedState } from '../../../src/session/shared-state.js';
import { createSessionStore } from '../../../src/session/store.js';
import { ENDED } from '../../../src/session/write-rules.js';

const MIN = 60_000;

function sessionData(expiresAt: number, maxAge: number, extra: Partial<SessionData> = {}): SessionData {
  return {
    cookie: { expires: new Date(expiresAt), originalMaxAge: maxAge, maxAge } as SessionData['cookie'],
    ...extra,
  };
}

/**
 * The real store on a memory state that records what reaches it, by session id: `touch`
 * (the expiry pushed forward), `set` (a compare-and-set write), `destroy` (a tombstone).
 */
function recordingStore(now: () => number) {
  const calls: string[] = [];
  const inner = createMemoryState({ now });
  const id = (key: string) => key.replace(/^sess:/, '');
  const state: SharedState = {
    ...inner,
    expire: (key, ttlMs) => {
      calls.push(`touch ${id(key)}`);
      return inner.expire(key, ttlMs);
    },
    compareAndSet: (key, expected, value, ttlMs) => {
      calls.push(`set ${id(key)}`);
      return inner.compareAndSet(key, expected, value, ttlMs);
    },
    set: (key, value, ttlMs) => {
      if (value === ENDED) calls.push(`destroy ${id(key)}`);
      return inner.set(key, value, ttlMs);
    },
  };
  const store = createSessionStore({ state, now, touchAfterFraction: 0.1, touchMemory: 100 });
  return { store, calls };
}

const touch = (store: Store, sid: string, s: SessionData) =>
  new Promise<void>((resolve) => store.touch!(sid, s, () => resolve()));
const set = (store: Store, sid: string, s: SessionData) =>
  new Promise<void>((resolve) => store.set(sid, s, () => resolve()));

describe('the session store\'s touch throttle', () => {
  it('touches a session again only after a tenth of its idle window', async () => {
    let now = 1_000_000;
    const { store, calls } = recordingStore(() => now);
    const s = sessionData(now + 30 * MIN, 30 * MIN, { pendingLogins: [] });

    await touch(store, 'a', s);
    now += 2 * MIN;
    await touch(store, 'a', s);
    now += 59_999;
    await touch(store, 'a', s);
    expect(calls).toEqual(['touch a']);
    now += 1;
    await touch(store, 'a', s);
    expect(calls).toEqual(['touch a', 'touch a']);
  });

  it('counts a full write as a touch, and forgets destroyed sessions', async () => {
    let now = 1_000_000;
    const { store, calls } = recordingStore(() => now);
    const s = sessionData(now + 30 * MIN, 30 * MIN, { pendingLogins: [] });

    await set(store, 'a', s);
    now += MIN;
    await touch(store, 'a', s);
    expect(calls).toEqual(['set a']);
    await new Promise<void>((r) => store.destroy('a', () => r()));
    await touch(store, 'a', s);
    expect(calls).toEqual(['set a', 'destroy a', 'touch a']);
  });

  it('keeps sessions apart', async () => {
    const { store, calls } = recordingStore(() => 5);
    const s = sessionData(30 * MIN, 30 * MIN, { pendingLogins: [] });
    await touch(store, 'a', s);
    await touch(store, 'b', s);
    await touch(store, 'a', s);
    expect(calls).toEqual(['touch a', 'touch b']);
  });
});

describe('sessionTtlSeconds', () => {
  it('follows the idle expiry of the cookie', () => {
    expect(sessionTtlSeconds(sessionData(100_000 + 1800_000, 1800_000), 100_000)).toBe(1800);
  });

  it('never outlives the absolute end of a signed-in session', () => {
    const auth = { expiresAt: 100_000 + 60_000 } as SessionData['auth'];
    expect(sessionTtlSeconds(sessionData(100_000 + 1800_000, 1800_000, { auth }), 100_000)).toBe(60);
    // Past the end: <= 0, which makes connect-redis delete instead of write.
    expect(sessionTtlSeconds(sessionData(200_000 + 1800_000, 1800_000, { auth }), 200_000)).toBeLessThanOrEqual(0);
  });
});

describe('createSessionStore', () => {
  it('keeps sessions in memory without Redis, with a working throttled touch', async () => {
    const store = createSessionStore();
    const s = sessionData(Date.now() + 30 * MIN, 30 * MIN, { pendingLogins: [] });
    await set(store, 'x', s);
    await touch(store, 'x', s);
    const back = await new Promise<SessionData | null | undefined>((resolve) => store.get('x', (_e, v) => resolve(v)));
    expect(back?.cookie.originalMaxAge).toBe(30 * MIN);
  });
});
