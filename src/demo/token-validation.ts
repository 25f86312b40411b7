import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** The IdP could not answer (down, 5xx, misconfigured client): the service answers 503, not 401. */
export class IdpUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdpUnavailableError';
  }
}

/** Resolves a token to what it proves (a sub, a client), or null when the IdP says it is invalid. */
export type TokenCheck<T> = (token: string) => Promise<T | null>;

/**
 * Remembers validation results for `ttlMs`, keyed by a SHA-256 of the token (the token
 * itself is never kept), and shares one in-flight IdP call among concurrent requests
 * with the same token. The demo is benchmarked: it must not call the IdP per request.
 * Failures to reach the IdP are not remembered. `ttlMs` 0 turns caching off.
 */
export function cachedTokenCheck<T extends object>(check: TokenCheck<T>, ttlMs: number): TokenCheck<T> {
  if (ttlMs <= 0) return check;
  const cache = new LRUCache<string, Promise<T | null>>({ max: 10_000, ttl: ttlMs });
  return (token) => {
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = cache.get(key);
    if (hit) return hit;
    const pending = check(token);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
    return pending;
  };
}

export interface DiscoveryDocument {
  userinfo_endpoint?: string;
  introspection_endpoint?: string;
}

/**
 * The issuer's discovery document, fetched on first use and kept; a failed fetch is
 * retried by the next caller (the IdP may start after the services, as in `npm start`).
 */
export function discovery(issuer: string): () => Promise<DiscoveryDocument> {
  let doc: Promise<DiscoveryDocument> | undefined;
  return () => {
    doc ??= (async () => {
      const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      let res: globalThis.Response;
      try {
        res = await fetch(url, { headers: { accept: 'application/json' } });
      } catch (cause) {
        throw new IdpUnavailableError('identity provider unreachable', { cause });
      }
      if (!res.ok) throw new IdpUnavailableError(`identity provider discovery answered ${res.status}`);
      return (await res.json()) as DiscoveryDocument;
    })();
    doc.catch(() => {
      doc = undefined;
    });
    return doc;
  };
}

/** A user access token, checked at the IdP's userinfo endpoint: resolves to the user's `sub`. */
export function userinfoCheck(getDiscovery: () => Promise<DiscoveryDocument>): TokenCheck<{ sub: string }> {
  return async (token) => {
    const { userinfo_endpoint: endpoint } = await getDiscovery();
    if (!endpoint) throw new IdpUnavailableError('identity provider has no userinfo endpoint');
    let res: globalThis.Response;
    try {
      res = await fetch(endpoint, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    } catch (cause) {
      throw new IdpUnavailableError('identity provider unreachable', { cause });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw new IdpUnavailableError(`userinfo answered ${res.status}`);
    const claims = (await res.json()) as { sub?: unknown };
    return typeof claims.sub === 'string' && claims.sub ? { sub: claims.sub } : null;
  };
}

/** RFC 6749 2.3.1: client_secret_basic form-encodes id and secret before base64. */
function basicAuth(clientId: string, clientSecret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

/**
 * A client-credentials access token, checked by RFC 7662 introspection as the resource
 * server's client: valid when active, a Bearer access token (not a refresh token), and
 * carrying `scope`. Resolves to the client it was issued to.
 */
export function introspectionCheck(
  getDiscovery: () => Promise<DiscoveryDocument>,
  client: { clientId: string; clientSecret: string },
  scope: string,
): TokenCheck<{ clientId: string }> {
  return async (token) => {
    const { introspection_endpoint: endpoint } = await getDiscovery();
    if (!endpoint) throw new IdpUnavailableError('identity provider has no introspection endpoint');
    let res: globalThis.Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers: {
          authorization: basicAuth(client.clientId, client.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      });
    } catch (cause) {
      throw new IdpUnavailableError('identity provider unreachable', { cause });
    }
    // 401 here means our own resource-server credentials were refused: not the caller's fault.
    if (!res.ok) throw new IdpUnavailableError(`introspection answered ${res.status}`);
    const info = (await res.json()) as { active?: unknown; scope?: unknown; token_type?: unknown; typ?: unknown; client_id?: unknown };
    const scopes = typeof info.scope === 'string' ? info.scope.split(' ') : [];
    // RFC 7662 makes token_type optional; Keycloak names the kind in the token's own `typ` claim.
    const tokenType = info.token_type ?? info.typ;
    if (info.active !== true || tokenType !== 'Bearer' || !scopes.includes(scope)) return null;
    return { clientId: typeof info.client_id === 'string' ? info.client_id : '' };
  };
}
