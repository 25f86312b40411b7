import {
  context as otelContext,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ServiceName } from '../../config/index.js';
import { DownstreamError } from '../errors.js';
import type { HttpCall } from './call.js';
import type { HeaderSet } from './pool.js';

/**
 * What one downstream call tells metrics and traces, without the HTTP core knowing
 * prom-client or the SDK: an observer with its metric children bound once per service,
 * and a tracer only when tracing is on (otherwise nothing here runs at all).
 */

/** How a call ended: the final answer's status class, no answer (`error`), or never sent (`rejected`). */
export type CallOutcome = '2xx' | '3xx' | '4xx' | '5xx' | 'error' | 'rejected';

export const CALL_OUTCOMES: readonly CallOutcome[] = ['2xx', '3xx', '4xx', '5xx', 'error', 'rejected'];

/** Counts one service's calls; built once per service (see `Metrics.downstream`). */
export interface CallObserver {
  /** The shared cache answered; no call was made. */
  cacheHit(): void;
  /** The shared cache had nothing fresh; a call follows. */
  cacheMiss(): void;
  /** A call ended after `seconds`, retries included (`retries` after the first attempt). */
  finished(outcome: CallOutcome, seconds: number, retries: number): void;
}

/** The telemetry of one service's calls (`ServiceHttpOptions.telemetry`). Default: none. */
export interface ServiceTelemetry {
  readonly observer?: CallObserver | undefined;
  /** When set, one client span per call, whose context goes out as `traceparent`. Default: no spans, no header. */
  readonly tracer?: Tracer | undefined;
}

/** What one call's attempts leave behind, for its metric and its span. */
export class CallRun {
  /** Attempts that were sent (a breaker or bulkhead refusal sends none). */
  attempts = 0;
  /** The last answer's HTTP status, 0 when none came. */
  status = 0;

  outcome(failed: boolean): CallOutcome {
    if (this.status === 0) return this.attempts === 0 && failed ? 'rejected' : 'error';
    if (this.status >= 500) return '5xx';
    if (this.status >= 400) return '4xx';
    if (this.status >= 300) return '3xx';
    return '2xx';
  }

  get retries(): number {
    return this.attempts > 1 ? this.attempts - 1 : 0;
  }
}

/**
 * The call's route as a template for metrics and traces: `call.route` when the client
 * gives one (a path with an id in a segment must), else the path with every query value
 * dropped (`/products?ids=1,2` → `/products?ids=`). Never an id list or search text.
 */
export function routeTemplate(call: HttpCall): string {
  if (call.route !== undefined) return call.route;
  const q = call.path.indexOf('?');
  if (q === -1) return call.path;
  let out = call.path.slice(0, q + 1);
  let first = true;
  for (const pair of call.path.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    out += (first ? '' : '&') + (eq === -1 ? pair : pair.slice(0, eq + 1));
    first = false;
  }
  return out;
}

const propagator = new W3CTraceContextPropagator();

/**
 * One client span per call (its attempts, retries and credential renewal included),
 * named `<METHOD> <route template>`. Its parent is the active span (with the SDK's
 * instrumentations, the resolver or the server request), else `call.trace` (the
 * request's context from the `traceparent` it came with). Attributes name the service,
 * method, route template and server; never a header, credential, body or query value.
 */
export class CallSpan {
  readonly span: Span;
  /** `traceparent` (and `tracestate`) for every attempt of the call. */
  readonly headers: HeaderSet;

  constructor(tracer: Tracer, service: ServiceName, origin: URL, call: HttpCall) {
    const route = routeTemplate(call);
    const active = otelContext.active();
    const parent: Context = trace.getSpan(active) !== undefined ? active : (call.trace ?? active);
    this.span = tracer.startSpan(
      `${call.method} ${route}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'downstream.service': service,
          'peer.service': service,
          'http.request.method': call.method,
          'url.template': route,
          'server.address': origin.hostname,
          'server.port': Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)),
        },
      },
      parent,
    );
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, this.span), headers, defaultTextMapSetter);
    this.headers = headers;
  }

  end(run: CallRun, err: unknown): void {
    const span = this.span;
    if (run.status !== 0) span.setAttribute('http.response.status_code', run.status);
    span.setAttribute('http.request.resend_count', run.retries);
    if (err !== undefined) {
      // The failure kind and our own message: never a downstream body or credential.
      span.setAttribute('error.type', err instanceof DownstreamError ? err.failure : 'internal');
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof DownstreamError ? err.message : 'internal error' });
    }
    span.end();
  }
}
