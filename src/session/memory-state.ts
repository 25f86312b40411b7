import type { SharedState } from './shared-state.js';

export interface MemoryStateOptions {
  /** Clock, epoch milliseconds; expiries follow it (tests move it). Default `Date.now`. */
  readonly now?: () => number;
  /** Writes between two sweeps of expired keys. Default `1000`. */
  readonly sweepEvery?: number;
}

interface Entry {
  value: string | Set<string>;
  expiresAt: number;
}

/**
 * `SharedState` in process memory: one instance only (development, tests). Every
 * operation runs synchronously inside one call, which makes each one atomic in a single
 * Node process, as the Redis backend's are across processes. Expired keys are dropped
 * when read and by a sweep every `sweepEvery` writes, so memory is bounded by the TTLs.
 */
export function createMemoryState(opts: MemoryStateOptions = {}): SharedState {
  const now = opts.now ?? Date.now;
  const sweepEvery = opts.sweepEvery ?? 1000;
  const entries = new Map<string, Entry>();
  let writes = 0;

  const live = (key: string): Entry | undefined => {
    const e = entries.get(key);
    if (e && e.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };
  const put = (key: string, value: Entry['value'], ttlMs: number) => {
    if (++writes % sweepEvery === 0) {
      const t = now();
      for (const [k, e] of entries) if (e.expiresAt <= t) entries.delete(k);
    }
    if (ttlMs <= 0) entries.delete(key);
    else entries.set(key, { value, expiresAt: now() + ttlMs });
  };
  const str = (key: string): string | null => {
    const v = live(key)?.value;
    return typeof v === 'string' ? v : null;
  };

  return {
    get: async (key) => str(key),
    ttlMs: async (key) => {
      const e = live(key);
      return e ? e.expiresAt - now() : null;
    },
    set: async (key, value, ttlMs) => put(key, value, ttlMs),
    compareAndSet: async (key, expected, value, ttlMs) => {
      if (str(key) !== expected || (expected === null && live(key))) return false;
      put(key, value, ttlMs);
      return true;
    },
    setIfAbsent: async (key, value, ttlMs) => {
      if (live(key)) return false;
      put(key, value, ttlMs);
      return true;
    },
    deleteIfEquals: async (key, value) => {
      if (str(key) !== value) return false;
      entries.delete(key);
      return true;
    },
    expire: async (key, ttlMs) => {
      const e = live(key);
      if (e) put(key, e.value, ttlMs);
    },
    addToSet: async (key, member, ttlMs) => {
      const e = live(key);
      const set = e?.value instanceof Set ? e.value : new Set<string>();
      set.add(member);
      put(key, set, ttlMs);
    },
    removeFromSet: async (key, member) => {
      const e = live(key);
      if (e?.value instanceof Set) {
        e.value.delete(member);
        if (e.value.size === 0) entries.delete(key);
      }
    },
    members: async (key) => {
      const v = live(key)?.value;
      return v instanceof Set ? [...v] : [];
    },
  };
}
