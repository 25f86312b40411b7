import cookieHeader from 'cookie';
import type { IncomingMessage } from 'node:http';
import signature from 'cookie-signature';
import { type SecretSource, secretList } from '../secrets/index.js';

/**
 * Reads the session id from a request's session cookie the way express-session does
 * (`s:` + the id + its HMAC-SHA256 under one of the `SESSION_SECRET` list), without
 * reading the session: for work that can start in parallel with the session read (the
 * session's rate limit, see rate-limits.ts). Undefined when the request has no such
 * cookie or its signature does not verify under any current secret. A verified id is
 * only as good as a signature: whether it names a live, signed-in session is the
 * session middleware's to say.
 */
export function signedSessionIdReader(name: string, secret: SecretSource): (req: IncomingMessage) => string | undefined {
  let raw: string | undefined;
  let secrets: string[] = [];
  return (req) => {
    const header = req.headers.cookie;
    if (header === undefined || !header.includes(name)) return undefined;
    const value = cookieHeader.parse(header)[name];
    if (value === undefined || !value.startsWith('s:')) return undefined;
    // Re-read on each request, as the session middleware does: a rotated secret applies at once.
    const latest = secret.current();
    if (latest !== raw) {
      raw = latest;
      secrets = secretList(secret);
    }
    for (const s of secrets) {
      const id = signature.unsign(value.slice(2), s);
      if (id !== false) return id;
    }
    return undefined;
  };
}
