import { Router } from 'express';
import { withTimeout } from '../lib/with-timeout.js';
import type { SecretSource } from '../secrets/index.js';

/** A named dependency whose reachability decides readiness. */
export interface ReadinessCheck {
  readonly name: string;
  /** Rejects (or resolves false) when the dependency is not usable. */
  check(): Promise<boolean | void>;
}

/** How long one readiness probe may wait for a dependency, in milliseconds. */
const CHECK_TIMEOUT_MS = 2000;

async function runCheck(c: ReadinessCheck): Promise<boolean> {
  try {
    return (await withTimeout(c.check().then((ok) => ok !== false), CHECK_TIMEOUT_MS)) ?? false;
  } catch {
    return false;
  }
}

/**
 * `/healthz`: the process runs (liveness; never checks dependencies, or a Redis blip
 * would restart every instance). `/readyz`: the session store and the IdP's discovery
 * document are reachable; a 503 names the failing part, nothing more, and from the start
 * of a shutdown it is always 503 (`shutting-down`).
 */
export function healthRoutes(
  checks: readonly ReadinessCheck[],
  opts: {
    /** True once shutdown began: `/readyz` then answers 503 so a load balancer stops sending. */
    shuttingDown?: () => boolean;
  } = {},
): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    if (opts.shuttingDown?.()) {
      res.status(503).json({ status: 'unavailable', failing: ['shutting-down'] });
      return;
    }
    const results = await Promise.all(checks.map(async (c) => [c.name, await runCheck(c)] as const));
    const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
    res.status(failing.length === 0 ? 200 : 503).json(
      failing.length === 0 ? { status: 'ready' } : { status: 'unavailable', failing },
    );
  });
  return router;
}

/**
 * `secrets-manager`, when some secret comes from a manager: failing once a value was last
 * confirmed by the manager more than `maxAgeMs` ago (`SECRET_MANAGER_MAX_AGE_MS`). A
 * short outage is not a readiness failure (the last good value is in use, and a restart
 * would not read the secret either); one that lasts is, so it is seen.
 */
export function secretFreshnessChecks(
  secrets: ReadonlyArray<SecretSource | undefined>,
  maxAgeMs: number,
  now: () => number,
): ReadinessCheck[] {
  const sources = secrets.filter((s): s is SecretSource & Required<Pick<SecretSource, 'lastConfirmedAt'>> => s?.lastConfirmedAt !== undefined);
  if (sources.length === 0) return [];
  return [{ name: 'secrets-manager', check: async () => sources.every((s) => now() - s.lastConfirmedAt() <= maxAgeMs) }];
}
