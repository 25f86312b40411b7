import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; Infinity when the model has no expiry. */
  expiresAt: number;
}

/** Sweep expired entries every this many writes, so a long demo run does not grow forever. */
const SWEEP_EVERY = 500;
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * oidc-provider's storage, in memory, one store per provider instance. Its built-in memory
 * adapter warns on every start (and caps itself at about a thousand entries); this one is
 * the same contract (`example/my_adapter.js`): upsert/find/consume/destroy by id, sessions
 * by uid, and revocation of every token of a grant.
 */
export function createMemoryAdapterFactory(now: () => number = Date.now): AdapterFactory {
  const entries = new Map<string, Entry>();
  const sessionsByUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  /** grantId → keys of the tokens issued under it. */
  const grants = new Map<string, Set<string>>();
  let writes = 0;

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      remove(key);
      return undefined;
    }
    return entry;
  };
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    const { uid, userCode, grantId } = entry.payload;
    if (uid && sessionsByUid.get(uid) === key) sessionsByUid.delete(uid);
    if (userCode && byUserCode.get(userCode) === key) byUserCode.delete(userCode);
    if (grantId) grants.get(grantId)?.delete(key);
  };
  const sweep = () => {
    const t = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= t) remove(key);
    for (const [grantId, keys] of grants) if (keys.size === 0) grants.delete(grantId);
  };

  return (model: string): Adapter => {
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyOf(id);
        remove(key);
        entries.set(key, {
          payload,
          expiresAt: typeof expiresIn === 'number' ? now() + expiresIn * 1000 : Infinity,
        });
        if (model === 'Session' && payload.uid) sessionsByUid.set(payload.uid, key);
        if (payload.userCode) byUserCode.set(payload.userCode, key);
        if (GRANTABLE.has(model) && payload.grantId) {
          const keys = grants.get(payload.grantId) ?? new Set<string>();
          keys.add(key);
          grants.set(payload.grantId, keys);
        }
        if (++writes % SWEEP_EVERY === 0) sweep();
      },
      async find(id) {
        return live(keyOf(id))?.payload;
      },
      async findByUid(uid) {
        const key = sessionsByUid.get(uid);
        return key ? live(key)?.payload : undefined;
      },
      async findByUserCode(userCode) {
        const key = byUserCode.get(userCode);
        return key ? live(key)?.payload : undefined;
      },
      async consume(id) {
        const entry = live(keyOf(id));
        if (entry) entry.payload.consumed = Math.floor(now() / 1000);
      },
      async destroy(id) {
        remove(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of grants.get(grantId) ?? []) remove(key);
        grants.delete(grantId);
      },
    };
  };
}
