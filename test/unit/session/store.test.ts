import { describe, expect, it } from '@jest/globals';
import type { SessionData, Store } from 'express-session';
import { createSessionStore, sessionTtlSeconds, throttleTouch } from '../../../src/session/store.js';

const MIN = 60_000;

function sessionData(expiresAt: number, maxAge: number, extra: Partial<SessionData> = {}): SessionData {
  return {
    cookie: { expires: new Date(expiresAt), originalMaxAge: maxAge, maxAge } as SessionData['cookie'],
    ...extra,
  };
}

/** A store that records calls; callbacks answer at once. */
function recordingStore() {
  const calls: string[] = [];
  const store = {
    get: (_sid: string, cb: (err: unknown, s?: SessionData | null) => void) => cb(null, null),
    set: (sid: string, _s: SessionData, cb?: (err?: unknown) => void) => {
      calls.push(`set ${sid}`);
      cb?.();
    },
    destroy: (sid: string, cb?: (err?: unknown) => void) => {
      calls.push(`destroy ${sid}`);
      cb?.();
    },
    touch: (sid: string, _s: SessionData, cb?: () => void) => {
      calls.push(`touch ${sid}`);
      cb?.();
    },
  } as unknown as Store;
  return { store, calls };
}

const touch = (store: Store, sid: string, s: SessionData) =>
  new Promise<void>((resolve) => store.touch!(sid, s, () => resolve()));
const set = (store: Store, sid: string, s: SessionData) =>
  new Promise<void>((resolve) => store.set(sid, s, () => resolve()));

describe('throttleTouch', () => {
  it('touches a session again only after a tenth of its idle window', async () => {
    let now = 1_000_000;
    const { store, calls } = recordingStore();
    throttleTouch(store, { fraction: 0.1, max: 100, now: () => now });
    const s = sessionData(now + 30 * MIN, 30 * MIN);

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
    const { store, calls } = recordingStore();
    throttleTouch(store, { fraction: 0.1, max: 100, now: () => now });
    const s = sessionData(now + 30 * MIN, 30 * MIN);

    await set(store, 'a', s);
    now += MIN;
    await touch(store, 'a', s);
    expect(calls).toEqual(['set a']);
    await new Promise<void>((r) => store.destroy('a', () => r()));
    await touch(store, 'a', s);
    expect(calls).toEqual(['set a', 'destroy a', 'touch a']);
  });

  it('keeps sessions apart', async () => {
    const { store, calls } = recordingStore();
    throttleTouch(store, { fraction: 0.1, max: 100, now: () => 5 });
    const s = sessionData(30 * MIN, 30 * MIN);
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
