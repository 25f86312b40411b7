import type { SessionData } from 'express-session';
import { createClient } from 'redis';
import { CookieJar } from 'tough-cookie';
import type { Config } from '../../src/config/index.js';
import { staticSecret } from '../../src/secrets/index.js';
import { createTokenCrypto, type RedisClient, type TokenGeneration } from '../../src/session/index.js';
import type { AuthSession } from '../../src/session/session-data.js';
import { SESSION_ENCRYPTION_KEY } from './stack.js';

/** What these helpers need of a BFF instance (a stack's `BffInstance` fits). */
interface Instance {
  readonly url: string;
  readonly config: Config;
}

/**
 * The session id inside a jar's signed session cookie (`s:<id>.<signature>`) for the
 * instance, or undefined when the jar holds none.
 */
export async function sessionIdIn(jar: CookieJar, instance: Instance): Promise<string | undefined> {
  const cookie = (await jar.getCookies(instance.url)).find((c) => c.key === instance.config.session.cookieName);
  if (!cookie) return undefined;
  const raw = decodeURIComponent(cookie.value);
  return raw.startsWith('s:') ? raw.slice(2, raw.lastIndexOf('.')) : undefined;
}

/** A second browser holding the same cookies (e.g. to replay a cookie after it was cleared). */
export async function copyJar(jar: CookieJar): Promise<CookieJar> {
  return CookieJar.deserialize(await jar.serialize());
}

/** A Redis client on the stack's redis-server, to look at what the BFF stored. */
export async function redisClient(url: string): Promise<RedisClient> {
  const client = createClient({ url }) as RedisClient;
  await client.connect();
  return client;
}

/** The Redis key of the jar's session (the BFF's default namespace). */
export async function sessionKey(jar: CookieJar, instance: Instance): Promise<string> {
  return `shop-bff:sess:${await sessionIdIn(jar, instance)}`;
}

/** The signed-in session stored in Redis for the jar's cookie; throws when there is none. */
export async function storedSession(redis: RedisClient, jar: CookieJar, instance: Instance): Promise<SessionData & { auth: AuthSession }> {
  const key = await sessionKey(jar, instance);
  const raw = (await redis.get(key)) as string | null;
  const s = raw === null || raw === 'ended' ? undefined : (JSON.parse(raw) as SessionData);
  if (!s?.auth) throw new Error(`no signed-in session stored at ${key}`);
  return s as SessionData & { auth: AuthSession };
}

/** The tokens stored for the jar's session, decrypted with the stack's key. */
export async function storedTokens(redis: RedisClient, jar: CookieJar, instance: Instance): Promise<TokenGeneration> {
  const { auth } = await storedSession(redis, jar, instance);
  const tokens = createTokenCrypto(staticSecret(SESSION_ENCRYPTION_KEY, 'test')).decrypt(auth.tokens, auth.sub);
  if (!tokens) throw new Error('the stored tokens do not decrypt');
  return { generation: auth.tokenGeneration, tokens };
}
