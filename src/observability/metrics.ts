import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuthEvents } from '../auth/events.js';
import { CALL_OUTCOMES, type CallObserver, type CallOutcome } from '../downstream/http/call-telemetry.js';
import { routeOf } from './http-route.js';

/**
 * The BFF's Prometheus metrics (docs/observability.md lists them). Every label has a
 * small, fixed set of values: routes are templates, operations are names from the
 * trusted-documents manifest or `other`, services come from the registry. Metric
 * children (one per label set) are made once and reused: nothing here allocates a
 * label object per request.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Requests refused by a rate limit, by limit (`session`, `anonymous`, `login`). */
  readonly rateLimited: Counter<'limit'>;
  /** Sign-ins, sign-outs, refreshes and back-channel logouts (`AuthEvents` for the auth layer). */
  readonly auth: AuthEvents;
  /** The GraphQL operations' counters (the operation-metrics plugin). */
  readonly graphql: GraphQLMetrics;
  /** The call observer of one downstream service, its children bound once (call at construction). */
  downstream(service: string): CallObserver;
  /**
   * Reports each downstream client's circuit (`downstream_circuit_state{service,state}`,
   * 1 for the state it is in), shared-cache size (`downstream_cached_answers{service}`)
   * and concurrency cap (`downstream_queued_calls`, `downstream_active_calls`), read at
   * each scrape. An open circuit is a metric, never a readiness failure: the instance
   * still serves everything else.
   */
  watchDownstream(clients: () => Readonly<Record<string, DownstreamClientState>>): void;
}

/** What the metrics read from a downstream client. */
export interface DownstreamClientState {
  readonly circuit: (typeof CIRCUIT_STATES)[number];
  readonly cachedAnswers?: number;
  readonly queued?: number;
  readonly active?: number;
}

/** Counts one GraphQL operation, by its bounded label (a manifest name or `other`). */
export interface GraphQLMetrics {
  /** An operation finished after `seconds`, with the distinct error codes of its answer. */
  finished(operation: string, seconds: number, errorCodes: ReadonlySet<string> | undefined): void;
}

const CIRCUIT_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;

/** Latency buckets in seconds, shared by HTTP, GraphQL and downstream histograms so panels line up. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One registry per app (not prom-client's global one), so several apps in one process
 * (tests, two instances sharing Redis) do not collide.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: BUCKETS,
    registers,
  });
  const rateLimited = new Counter({
    name: 'http_rate_limited_total',
    help: 'Requests refused with 429 by a rate limit',
    labelNames: ['limit'] as const,
    registers,
  });

  const downstreamDuration = new Histogram({
    name: 'downstream_request_duration_seconds',
    help: "Downstream calls by service and outcome (the final answer's status class, error: no answer, rejected: never sent), retries included",
    labelNames: ['service', 'outcome'] as const,
    buckets: BUCKETS,
    registers,
  });
  const downstreamRetries = new Counter({
    name: 'downstream_retries_total',
    help: 'Attempts of downstream calls after the first one, by service',
    labelNames: ['service'] as const,
    registers,
  });
  const cacheLookups = new Counter({
    name: 'downstream_cache_lookups_total',
    help: 'Lookups in the shared response cache, by service and result (hit: answered without a call)',
    labelNames: ['service', 'result'] as const,
    registers,
  });

  let downstream: () => Readonly<Record<string, DownstreamClientState>> = () => ({});
  const stateGauge = (name: string, help: string, read: (c: DownstreamClientState) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['service'] as const,
      registers,
      collect() {
        for (const [service, client] of Object.entries(downstream())) {
          const value = read(client);
          if (value !== undefined) this.set({ service }, value);
        }
      },
    });
  new Gauge({
    name: 'downstream_circuit_state',
    help: "Each downstream service's circuit breaker: 1 for the state it is in, 0 for the others",
    labelNames: ['service', 'state'] as const,
    registers,
    collect() {
      for (const [service, client] of Object.entries(downstream())) {
        for (const state of CIRCUIT_STATES) this.set({ service, state }, client.circuit === state ? 1 : 0);
      }
    },
  });
  stateGauge('downstream_cached_answers', 'Answers held by the shared response cache, per downstream service that has one', (c) => c.cachedAnswers);
  stateGauge('downstream_queued_calls', 'Downstream calls waiting for a slot of the service’s concurrency cap', (c) => c.queued);
  stateGauge('downstream_active_calls', 'Downstream calls holding a slot of the service’s concurrency cap', (c) => c.active);

  return {
    registry,
    httpDuration,
    rateLimited,
    auth: authMetrics(registers),
    graphql: graphqlMetrics(registers),
    downstream(service) {
      const byOutcome = new Map<CallOutcome, Histogram.Internal<'service' | 'outcome'>>(
        CALL_OUTCOMES.map((outcome) => [outcome, downstreamDuration.labels({ service, outcome })]),
      );
      const retries = downstreamRetries.labels({ service });
      const hits = cacheLookups.labels({ service, result: 'hit' });
      const misses = cacheLookups.labels({ service, result: 'miss' });
      // Zero-valued series from the start, so a dashboard's rate() sees the first call.
      retries.inc(0);
      return {
        cacheHit: () => hits.inc(),
        cacheMiss: () => misses.inc(),
        finished(outcome, seconds, retryCount) {
          byOutcome.get(outcome)!.observe(seconds);
          if (retryCount > 0) retries.inc(retryCount);
        },
      };
    },
    watchDownstream: (clients) => {
      downstream = clients;
    },
  };
}

function authMetrics(registers: Registry[]): AuthEvents {
  /**
   * A counter with one label whose values are known up front: every child is made (and
   * shown at 0) once, so an event costs a map lookup and dashboards see every series.
   */
  const events = <L extends string>(name: string, help: string, label: string, values: readonly L[]) => {
    const counter = new Counter({ name, help, labelNames: [label], registers });
    const children = new Map(values.map((v) => [v, counter.labels({ [label]: v })]));
    for (const child of children.values()) child.inc(0);
    return (v: L) => children.get(v)!.inc();
  };
  return {
    signedIn: events(
      'auth_sign_ins_total',
      'Completed sign-ins, by client (web: a browser session, app: a native app session)',
      'client',
      ['web', 'app'] as const,
    ),
    signedOut: events('auth_sign_outs_total', 'Sign-outs asked for by the user, by client', 'client', ['web', 'app'] as const),
    refreshed: events(
      'auth_token_refreshes_total',
      "Refreshes of a session's tokens at the identity provider, by result (refreshed, failed)",
      'result',
      ['refreshed', 'failed'] as const,
    ),
    backchannelLogout: events(
      'auth_backchannel_logouts_total',
      'Back-channel logouts from the identity provider, by result (ended, refused)',
      'result',
      ['ended', 'refused'] as const,
    ),
  };
}

function graphqlMetrics(registers: Registry[]): GraphQLMetrics {
  const duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operations by name (from the trusted-documents manifest, else other); its _count is the operation count',
    labelNames: ['operation'] as const,
    buckets: BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'graphql_operation_errors_total',
    help: 'GraphQL operations whose answer carried an error, by operation and error code (an operation counts once per code)',
    labelNames: ['operation', 'code'] as const,
    registers,
  });
  // Bounded by the manifest's names (plus `other`) and the error codes the BFF emits.
  const durations = new Map<string, Histogram.Internal<'operation'>>();
  const errorChildren = new Map<string, Counter.Internal>();
  return {
    finished(operation, seconds, codes) {
      let d = durations.get(operation);
      if (d === undefined) durations.set(operation, (d = duration.labels({ operation })));
      d.observe(seconds);
      if (codes === undefined) return;
      for (const code of codes) {
        const key = `${operation}\u0000${code}`;
        let e = errorChildren.get(key);
        if (e === undefined) errorChildren.set(key, (e = errors.labels({ operation, code })));
        e.inc();
      }
    },
  };
}

/**
 * Times each request, labelled with its route template (`routeOf`), never the raw URL.
 * One child per method, route and status, made on first use (Node's parser knows a
 * fixed set of methods, routes are templates): no label object per request.
 */
export function metricsMiddleware(metrics: Metrics): RequestHandler {
  const children = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const route = routeOf(req);
      const key = `${req.method} ${res.statusCode} ${route}`;
      let child = children.get(key);
      if (child === undefined) {
        child = metrics.httpDuration.labels({ method: req.method, route, status: String(res.statusCode) });
        children.set(key, child);
      }
      child.observe((performance.now() - started) / 1000);
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
