import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Requests refused by a rate limit, by limit (`session`, `anonymous`, `login`). */
  readonly rateLimited: Counter<'limit'>;
  /**
   * Reports each downstream client's circuit (`downstream_circuit_state{service,state}`,
   * 1 for the state it is in) and shared-cache size (`downstream_cached_answers{service}`),
   * read at each scrape. An open circuit is a metric, never a readiness failure: the
   * instance still serves everything else.
   */
  watchDownstream(clients: () => Readonly<Record<string, DownstreamClientState>>): void;
}

/** What the metrics read from a downstream client. */
export interface DownstreamClientState {
  readonly circuit: (typeof CIRCUIT_STATES)[number];
  readonly cachedAnswers?: number;
}

const CIRCUIT_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;

/**
 * One registry per app (not prom-client's global one), so several apps in one process
 * (tests, two instances sharing Redis) do not collide.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'http_rate_limited_total',
    help: 'Requests refused with 429 by a rate limit',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  let downstream: () => Readonly<Record<string, DownstreamClientState>> = () => ({});
  new Gauge({
    name: 'downstream_circuit_state',
    help: "Each downstream service's circuit breaker: 1 for the state it is in, 0 for the others",
    labelNames: ['service', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [service, client] of Object.entries(downstream())) {
        for (const state of CIRCUIT_STATES) this.set({ service, state }, client.circuit === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'downstream_cached_answers',
    help: 'Answers held by the shared response cache, per downstream service that has one',
    labelNames: ['service'] as const,
    registers: [registry],
    collect() {
      for (const [service, client] of Object.entries(downstream())) {
        if (client.cachedAnswers !== undefined) this.set({ service }, client.cachedAnswers);
      }
    },
  });
  return {
    registry,
    httpDuration,
    rateLimited,
    watchDownstream: (clients) => {
      downstream = clients;
    },
  };
}

/** Times each request; the route label is the mount point, never the raw URL (cardinality). */
export function metricsMiddleware(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.baseUrl || (req.route?.path as string | undefined) || 'other';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

export function metricsEndpoint(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  };
}
