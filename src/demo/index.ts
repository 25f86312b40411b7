import type { Logger } from 'pino';
import type { AnyService } from '../services/registry.js';
import { SERVICES } from '../services/registry.js';
import { listen, type DemoServiceRequest } from './http.js';
import { cachedTokenCheck, discovery, introspectionCheck, userinfoCheck } from './token-validation.js';

export type { DemoServiceRequest } from './http.js';
export { MAX_BATCH_IDS } from './http.js';
export * from './seed/index.js';

export interface DemoServicesOptions {
  /** The services whose stand-ins to start (each definition's `loadDemo`). Default `SERVICES`. */
  services?: readonly AnyService[];
  /** The IdP: orders validate user access tokens at its userinfo endpoint, reviews by introspection. */
  issuer: string;
  /** The resource-server client the stand-ins introspect as (the dev IdP's `resourceServer`). */
  introspectionClient: { clientId: string; clientSecret: string };
  /**
   * The secret each secret-kind stand-in expects, by service name; functions, so tests
   * can rotate keys while running. Default: the service's public demo value.
   */
  secrets?: Readonly<Record<string, () => string>>;
  /** The scope a client-credentials token must carry, by service name. Default: the service's `defaultScope`. */
  scopes?: Readonly<Record<string, string>>;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port per service. Default 0 (a free port) for each. */
  ports?: Readonly<Record<string, number>>;
  /** Called for every request received, before any credential check (tests record them). */
  onRequest?: (r: DemoServiceRequest) => void;
  /**
   * How long a token's validation result is reused, in milliseconds (keyed by a hash of
   * the token), so a benchmark does not measure the IdP. Default 5000; 0 checks every time.
   */
  tokenCacheTtlMs?: number;
  /** Logs unexpected errors and IdP outages (never a token or key). Default: silent. */
  logger?: Logger;
}

export interface DemoServices {
  /** Base URL of each service started, e.g. `http://127.0.0.1:41234`. */
  urls: Record<string, string>;
  close(): Promise<void>;
}

const DEFAULT_TOKEN_CACHE_TTL_MS = 5000;

/**
 * Starts the demo stand-ins of the given services (docs/downstream.md), each on its
 * own port with fresh state, so `npm start` works with no settings and tests have real
 * counterparts. Credentials are enforced exactly as the contract says.
 */
export async function startDemoServices(opts: DemoServicesOptions): Promise<DemoServices> {
  const host = opts.host ?? '127.0.0.1';
  const ttl = opts.tokenCacheTtlMs ?? DEFAULT_TOKEN_CACHE_TTL_MS;
  const idp = discovery(opts.issuer);
  const checkUserToken = cachedTokenCheck(userinfoCheck(idp), ttl);

  const started: Array<{ name: string; url: string; close(): Promise<void> }> = [];
  try {
    for (const service of opts.services ?? SERVICES) {
      const c = service.credential;
      const standIn = await service.loadDemo();
      const scope = c.kind === 'client-credentials' ? (opts.scopes?.[service.name] ?? c.defaultScope) : '';
      const app = standIn({
        secret: opts.secrets?.[service.name] ?? (() => ('demoValue' in c ? c.demoValue : '')),
        checkUserToken,
        checkServiceToken: cachedTokenCheck(introspectionCheck(idp, opts.introspectionClient, scope), ttl),
        onRequest: opts.onRequest,
        logger: opts.logger,
      });
      started.push({ name: service.name, ...(await listen(app, host, opts.ports?.[service.name] ?? 0)) });
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }
  return {
    urls: Object.fromEntries(started.map((s) => [s.name, s.url])),
    close: async () => {
      await Promise.all(started.map((s) => s.close()));
    },
  };
}
