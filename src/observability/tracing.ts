import { register } from 'node:module';
import type { TelemetryConfig } from '../config/index.js';

/** The tracer name of the BFF's own spans (one per downstream call). */
export const TRACER_NAME = 'shop-bff';

export interface Tracing {
  /** Ends the SDK: flushes the spans still buffered, then stops the instrumentations. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry for this process: the ESM loader hook, then the SDK with the
 * http, undici, express, graphql and redis instrumentations and the exporters that
 * `OTEL_TRACES_EXPORTER` names (the SDK reads the exporters' own `OTEL_*` details:
 * endpoint, headers, protocol, sampler). Call it before the app's modules are
 * imported, as main.ts does, and only when `config.tracing` is true: everything here,
 * the SDK included, is loaded on demand, so tracing off costs nothing.
 *
 * ESM modules are patched only if loaded after the hook is registered, so main.ts
 * imports bff.ts (and with it express, graphql, redis, undici) only after this
 * resolves. `node --import` is not needed: `module.register` does the same from here.
 */
export async function startTracing(config: TelemetryConfig): Promise<Tracing> {
  // import-in-the-middle's hook, as @opentelemetry/instrumentation ships it.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [
    { NodeSDK },
    { BatchSpanProcessor, ConsoleSpanExporter },
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { ATTR_SERVICE_NAME },
    { HttpInstrumentation },
    { UndiciInstrumentation },
    { ExpressInstrumentation, ExpressLayerType },
    { GraphQLInstrumentation },
    { RedisInstrumentation },
    { RedactingSpanProcessor },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-graphql'),
    import('@opentelemetry/instrumentation-redis'),
    import('./span-redaction.js'),
  ]);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    spanProcessors: config.exporters.map(
      (name) => new RedactingSpanProcessor(new BatchSpanProcessor(name === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter())),
    ),
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes every few seconds would drown the traces that matter.
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)(\?|$)/.test(req.url ?? ''),
      }),
      new UndiciInstrumentation({
        // Downstream calls have our own span and carry its `traceparent` (call-telemetry.ts);
        // a second span would inject a second header. The rest (the IdP) is traced here.
        ignoreRequestHook: (request) => hasTraceparent(request.headers),
      }),
      // The route's handler only: a span per middleware layer (about twenty a request:
      // helmet, CORS, the session, the body parser…) would drown the ones that matter.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      // No resolver spans: one per field would cost every request (issue 9's budget) and
      // say nothing the downstream spans do not. No values, ever.
      new GraphQLInstrumentation({ ignoreResolveSpans: true, ignoreTrivialResolveSpans: true, allowValues: false, depth: 0 }),
      // The command only: its arguments are session keys and sealed session data.
      new RedisInstrumentation({ dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** undici hands the headers over as a flat array (`[name, value, …]`) or a raw block. */
function hasTraceparent(headers: unknown): boolean {
  if (typeof headers === 'string') return /(^|\r\n)traceparent:/i.test(headers);
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'traceparent') return true;
  }
  return false;
}
