import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '@opentelemetry/api';
import type { Request, RequestHandler, Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from './logger.js';
import { routeOf } from './http-route.js';

/**
 * What later layers note about a request for its access line and its telemetry, kept
 * in `res.locals` (no object of its own per request): the request id (`requestId()`),
 * the trace (`traceContext()`), the GraphQL operation (the operation-metrics plugin).
 */
export interface RequestNotes {
  requestId?: string;
  /** The request's trace id, when tracing is on and the request is traced. */
  traceId?: string;
  /** The request's trace context: the parent of its downstream spans without auto-instrumentation. */
  traceContext?: Context;
  /** The GraphQL operation's name as the client sent it (at most 100 characters). */
  operationName?: string;
}

/** A serializer that drops its field: `req` and `res` never reach a line (see `accessLog`). */
const omitted = (): undefined => undefined;

/** The fields of one access line; nothing else from the request (no URL, header or body) is logged. */
function accessLine(req: Request, res: Response, durationMs: number) {
  const notes = res.locals as RequestNotes;
  return {
    ...(notes.traceId !== undefined ? { traceId: notes.traceId } : {}),
    method: req.method,
    route: routeOf(req),
    status: res.statusCode,
    durationMs,
    ...(notes.operationName !== undefined ? { operation: notes.operationName } : {}),
  };
}

/**
 * One access line per request (pino-http), written when the response finishes or the
 * client goes away: `requestId`, `traceId` (when traced), `method`, `route` (the
 * template, never the URL: `/auth/callback?code=…` carries an authorization code),
 * `status`, `durationMs` and, for GraphQL, `operation`. Level `info`, `error` for a
 * 5xx. Mount right after `requestId()`.
 */
export function accessLog(logger: Logger): RequestHandler {
  const middleware = pinoHttp<IncomingMessage, ServerResponse>({
    // Without the redaction paths: an access line is built from the fields above only
    // (fixed keys, no header, URL or body), so the paths could never match, and checking
    // them cost about 12 µs a line, a tenth of the log's share of every request (issue 9).
    logger: logger.child({}, { redact: [] }),
    // pino-http binds the whole request to a child logger on every request, which pino
    // serialises at once (method, URL, every header) even under `quietReqLogger`, where
    // that child is never used (issue 9; pino's share of the allocation per request went
    // from 2.9 to 2.4 %). No line here logs `req` or `res`, so their serializers write nothing.
    wrapSerializers: false,
    serializers: { req: omitted, res: omitted },
    // The id `requestId()` chose (a caller's safe one, or a fresh UUID).
    genReqId: (_req, res) => (res as unknown as Response).locals.requestId as string,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    // Only the fields below: pino-http's default req/res objects carry headers and the raw URL.
    quietReqLogger: true,
    quietResLogger: true,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessObject: (req, res, val: { durationMs: number }) => accessLine(req as Request, res as unknown as Response, val.durationMs),
    customErrorObject: (req, res, _err, val: { durationMs: number }) =>
      accessLine(req as Request, res as unknown as Response, val.durationMs),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
  });
  return middleware as unknown as RequestHandler;
}
