import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * Attributes the instrumentations may fill with what a span must never hold: query
 * strings (`/auth/callback?code=…` carries an authorization code, `?ids=` and `?q=`
 * user input), GraphQL document text (literal values) and Redis statements (session
 * keys). The instrumentations are configured not to record them (tracing.ts); this is
 * the second line, applied to every span before any exporter sees it, as log redaction
 * is to log lines.
 */
const DROPPED = ['url.query', 'graphql.source', 'db.statement', 'db.query.text', 'http.request.header.cookie', 'http.request.header.authorization'];
/** Kept without their query string. */
const WITHOUT_QUERY = ['url.full', 'http.url', 'http.target'];

/** Strips what `DROPPED` and `WITHOUT_QUERY` name from a span's attributes, in place. */
export function redactSpanAttributes(attributes: Record<string, unknown>): void {
  for (const key of DROPPED) delete attributes[key];
  for (const key of WITHOUT_QUERY) {
    const value = attributes[key];
    if (typeof value !== 'string') continue;
    const q = value.indexOf('?');
    if (q !== -1) attributes[key] = value.slice(0, q);
  }
}

/** Wraps a span processor (and so its exporter): every span is redacted when it ends, before export. */
export class RedactingSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    // A ReadableSpan's attributes are read-only by type only: the span has ended and is
    // ours until the exporter runs.
    redactSpanAttributes(span.attributes as Record<string, unknown>);
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
