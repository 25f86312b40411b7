import { context, defaultTextMapGetter, isSpanContextValid, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { RequestHandler } from 'express';
import type { RequestNotes } from './access-log.js';

const propagator = new W3CTraceContextPropagator();

/**
 * Notes the request's trace in `res.locals` (`traceId` for the access line,
 * `traceContext` for the downstream spans). With the SDK's HTTP instrumentation that
 * is its server span; without it (tests, or a process started without the loader
 * hook) the caller's own `traceparent`, so downstream spans still join the caller's
 * trace. Mounted only when tracing is on: off, nothing runs per request.
 */
export function traceContext(): RequestHandler {
  return (req, res, next) => {
    let ctx = context.active();
    let span = trace.getSpan(ctx);
    if (span === undefined && req.headers.traceparent !== undefined) {
      ctx = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      span = trace.getSpan(ctx);
    }
    const spanContext = span?.spanContext();
    if (spanContext !== undefined && isSpanContextValid(spanContext)) {
      const notes = res.locals as RequestNotes;
      notes.traceId = spanContext.traceId;
      notes.traceContext = ctx;
    }
    next();
  };
}
