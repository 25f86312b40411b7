import { type Env, wholeNumberSetting } from './env-helpers.js';
import { readSecretRef, type SecretRef } from './secrets.js';

/**
 * How long the HTTP server waits for a client, so that a slow or stalled client (one
 * header byte a second) cannot hold a connection for long. Node's own defaults (60 s for
 * headers, 300 s for a request, checked only every 30 s) let such a client keep a
 * connection for well over a minute.
 */
export interface ServerTimeoutsConfig {
  /** Time to receive the request's headers (`SERVER_HEADERS_TIMEOUT_MS`). Default `10000`. */
  readonly headersTimeoutMs: number;
  /**
   * Time to receive the whole request, body included (`SERVER_REQUEST_TIMEOUT_MS`); at
   * least the headers timeout. Default `30000`.
   */
  readonly requestTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open (`SERVER_KEEP_ALIVE_TIMEOUT_MS`);
   * below the headers timeout. Behind a load balancer that reuses connections, it should
   * also exceed the balancer's own idle timeout, or the balancer may send a request on a
   * connection the BFF is closing. Default `5000`.
   */
  readonly keepAliveTimeoutMs: number;
}

/** Who may read `GET /metrics` (see the HTTP contract). */
export interface MetricsConfig {
  /**
   * `METRICS_PORT`: a second listener (on `HOST`) that serves only `/metrics`, for a
   * scraper on the internal network; no credentials asked there. Default: none.
   */
  readonly port: number | undefined;
  /**
   * `METRICS_TOKEN` (or `METRICS_TOKEN_FILE`): when set, `/metrics` on the public port
   * answers only `Authorization: Bearer <token>`. Without it the public `/metrics` is
   * open outside production and absent (404) in production.
   */
  readonly token: SecretRef | undefined;
}

const MIN_TOKEN_LENGTH = 32;

export function readServerTimeouts(env: Env, problems: string[]): ServerTimeoutsConfig {
  const read = (name: string, fallback: number) => {
    const n = wholeNumberSetting(env, name, fallback, problems);
    if (n === 0) problems.push(`${name}: must be greater than 0`);
    return n;
  };
  const headersTimeoutMs = read('SERVER_HEADERS_TIMEOUT_MS', 10_000);
  const requestTimeoutMs = read('SERVER_REQUEST_TIMEOUT_MS', 30_000);
  const keepAliveTimeoutMs = read('SERVER_KEEP_ALIVE_TIMEOUT_MS', 5_000);
  // Node refuses a headers timeout above the request timeout at createServer.
  if (headersTimeoutMs > requestTimeoutMs) {
    problems.push('SERVER_HEADERS_TIMEOUT_MS must not exceed SERVER_REQUEST_TIMEOUT_MS');
  }
  if (keepAliveTimeoutMs >= headersTimeoutMs) {
    problems.push('SERVER_KEEP_ALIVE_TIMEOUT_MS must be below SERVER_HEADERS_TIMEOUT_MS');
  }
  return { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs };
}

export function readMetrics(env: Env, problems: string[], o: { production: boolean; port: number }): MetricsConfig {
  let port: number | undefined;
  const raw = env.METRICS_PORT?.trim();
  if (raw) {
    port = Number(raw);
    if (!/^\d{1,5}$/.test(raw) || port < 1 || port > 65535) {
      problems.push('METRICS_PORT: must be a port number (1-65535)');
      port = undefined;
    } else if (port === o.port) {
      problems.push('METRICS_PORT must differ from PORT (it is a separate listener)');
    }
  }
  const token = readSecretRef(env, 'METRICS_TOKEN', problems);
  if (o.production && token?.kind === 'value' && token.value.trim().length < MIN_TOKEN_LENGTH) {
    problems.push(`METRICS_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  return { port, token };
}
