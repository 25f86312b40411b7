import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { CookieJar } from 'tough-cookie';
import { type Reply, reply } from '../support/fault-server.js';
import { type FaultStack, startFaultStack } from '../support/fault-stack.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Tracing, seen from both ends: the spans the BFF exports (an in-memory exporter through
 * startBff's `traceExporter`) and the `traceparent` each downstream service received.
 * One client span per downstream call, in the caller's trace, named by the route
 * template, with service, status and retry count, and nothing secret in any attribute.
 */

const DASHBOARD = /* GraphQL */ `
  query Dashboard($first: Int) {
    me { id orders(first: $first) { id lines { quantity product { name rating { average } reviews { rating } } } } }
  }
`;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`;
const W3C = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

const downstreamSpans = (exporter: InMemorySpanExporter): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT && s.attributes['downstream.service'] !== undefined);

/** Every attribute value of every span (and its events), as text. */
const attributeTexts = (spans: ReadableSpan[]): string[] =>
  spans.flatMap((s) => [s.name, ...Object.values(s.attributes), ...s.events.flatMap((e) => Object.values(e.attributes ?? {}))].map(String));

describe('downstream spans of a signed-in dashboard', () => {
  const exporter = new InMemorySpanExporter();
  let stack: Stack;
  let alice: CookieJar;
  beforeAll(async () => {
    // Cache off: every service is called, so every kind of credential is in play.
    stack = await startStack({ traceExporter: exporter, env: { DOWNSTREAM_CACHE_MAX_ENTRIES: '0' } });
    alice = await stack.login('alice');
  });
  afterAll(() => stack?.close());
  beforeEach(() => {
    exporter.reset();
    stack.recorder.clear();
  });

  it('makes one client span per call, in the caller’s trace, each received as the call’s traceparent', async () => {
    const { body } = await stack.graphql(DASHBOARD, { jar: alice, variables: { first: 20 }, headers: { traceparent: TRACEPARENT } });
    expect(body.errors).toBeUndefined();
    const calls = stack.recorder.all;
    expect(calls.map((c) => c.service).sort()).toEqual(['catalog', 'orders', 'reviews']);
    const spans = downstreamSpans(exporter);
    expect(spans).toHaveLength(calls.length);

    for (const call of calls) {
      const [, traceId, parentId] = W3C.exec(String(call.headers.traceparent)) ?? [];
      // The call's parent is its own span, which is in the caller's trace, under the caller's span.
      const span = spans.find((s) => s.spanContext().spanId === parentId);
      expect({ service: call.service, traceId, span: span?.attributes['downstream.service'] }).toEqual({
        service: call.service,
        traceId: TRACE_ID,
        span: call.service,
      });
      expect(span!.spanContext().traceId).toBe(TRACE_ID);
      expect(span!.parentSpanContext?.spanId).toBe(CALLER_SPAN_ID);
    }
  });

  it('names each span by method and route template, with service, status and retry count', async () => {
    await stack.graphql(DASHBOARD, { jar: alice, variables: { first: 20 } });
    const byService: Record<string, ReadableSpan> = Object.fromEntries(downstreamSpans(exporter).map((s) => [String(s.attributes['downstream.service']), s]));
    expect(Object.keys(byService).sort()).toEqual(['catalog', 'orders', 'reviews']);
    for (const span of Object.values(byService)) {
      expect(span.attributes).toMatchObject({
        'peer.service': span.attributes['downstream.service'],
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'http.request.resend_count': 0,
      });
      // The template, not the target: the query's names without their values, so no ids.
      expect(span.name).toBe(`GET ${span.attributes['url.template']}`);
      expect(String(span.attributes['url.template'])).toMatch(/^\/[\w/-]+(\?\w+=(&\w+=)*)?$/);
    }
    expect(byService.orders!.attributes['url.template']).toBe('/me/orders?limit=');
    expect(byService.catalog!.attributes['url.template']).toBe('/products?ids=');
  });

  it('sends a valid traceparent without a caller’s trace too, never one of an earlier request', async () => {
    await stack.graphql(DASHBOARD, { jar: alice, variables: { first: 1 }, headers: { traceparent: TRACEPARENT } });
    stack.recorder.clear();
    await stack.graphql(DASHBOARD, { jar: alice, variables: { first: 1 } });
    const traces = stack.recorder.all.map((c) => W3C.exec(String(c.headers.traceparent))?.[1]);
    expect(traces.length).toBeGreaterThan(0);
    for (const t of traces) expect(t).toMatch(/^[0-9a-f]{32}$/);
    expect(traces).not.toContain(TRACE_ID);
  });

  it('puts no token, key, cookie, session id or variable value in any span', async () => {
    const secretVariable = 'variable-value-only-the-client-knows';
    await stack.graphql(DASHBOARD, { jar: alice, variables: { first: 20 }, headers: { traceparent: TRACEPARENT } });
    const search = await stack.graphql(`query Search($q: String!) { searchProducts(query: $q, first: 2) { nodes { id } } }`, {
      jar: alice,
      variables: { q: secretVariable },
    });
    expect(search.body.errors).toBeUndefined();
    // The value went downstream (so a span could have carried it).
    expect(stack.recorder.forService('catalog').some((c) => c.url.includes(secretVariable.slice(0, 12)))).toBe(true);
    const cookie = await alice.getCookieString(stack.bff.url);
    const sessionId = decodeURIComponent(cookie.split('=')[1] ?? '').replace(/^s:/, '').split('.')[0]!;
    const received = stack.recorder.all
      .flatMap((c) => [c.headers.authorization, c.headers['x-api-key']])
      .filter((v): v is string => typeof v === 'string')
      .map((v) => v.replace(/^Bearer /, ''));
    const needles = [...stack.issuedTokens, ...received, ...stack.secretValues, cookie, sessionId, secretVariable].filter((n) => n.length >= 8);
    expect(received.length).toBeGreaterThanOrEqual(3);
    const texts = attributeTexts(exporter.getFinishedSpans());
    expect(texts.length).toBeGreaterThan(0);
    expect(needles.filter((n) => texts.some((t) => t.includes(n)))).toEqual([]);
  });
});

describe('a retried call', () => {
  const exporter = new InMemorySpanExporter();
  let f: FaultStack<'catalog'>;
  const product = (id: string) => ({ id, name: `Product ${id}`, priceCents: 100, currency: 'EUR', stock: 1 });
  const products: Reply = (req, res, n) => reply.json({ items: [product('p1')] })(req, res, n);
  beforeAll(async () => {
    f = await startFaultStack(['catalog'], { traceExporter: exporter, env: { CATALOG_MAX_RETRIES: '2', CATALOG_BREAKER_FAILURES: '1000' } });
  });
  afterAll(() => f?.close());

  it('is one span with its retry count and final status, and every attempt carries that span’s traceparent', async () => {
    f.faults.catalog.on('GET', '/products', (req, res, n) => (n === 1 ? reply.error(503, 'UNAVAILABLE', 'busy')(req, res, n) : products(req, res, n)));
    const { body } = await f.stack.graphql(`{ product(id: "p1") { id } }`);
    expect(body.data).toEqual({ product: { id: 'p1' } });
    const attempts = f.faults.catalog.requestsTo('GET', '/products');
    expect(attempts).toHaveLength(2);
    const spans = downstreamSpans(exporter).filter((s) => s.attributes['downstream.service'] === 'catalog');
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes).toMatchObject({ 'http.request.resend_count': 1, 'http.response.status_code': 200 });
    const parents = attempts.map((a) => W3C.exec(String(a.headers.traceparent))?.[2]);
    expect(parents).toEqual([spans[0]!.spanContext().spanId, spans[0]!.spanContext().spanId]);
  });

  it('marks a call that failed for good as an error, with the failure kind and not the answer', async () => {
    exporter.reset();
    f.faults.catalog.on('GET', '/products', reply.error(500, 'INTERNAL', 'downstream-internal-detail-7f3a'));
    await f.stack.graphql(`{ product(id: "p1") { id } }`);
    const [span] = downstreamSpans(exporter);
    expect(span!.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(span!.attributes).toMatchObject({ 'http.response.status_code': 500, 'http.request.resend_count': 2 });
    expect(typeof span!.attributes['error.type']).toBe('string');
    expect(attributeTexts([span!]).join(' ')).not.toContain('downstream-internal-detail-7f3a');
    expect(span!.status.message ?? '').not.toContain('downstream-internal-detail-7f3a');
  });
});

describe('tracing off (no exporter set)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('sends no traceparent downstream, and does not continue a caller’s', async () => {
    await stack.graphql(`{ product(id: "p1") { id } }`, { headers: { traceparent: TRACEPARENT } });
    const calls = stack.recorder.all;
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.map((c) => c.headers.traceparent)).toEqual(calls.map(() => undefined));
    // The request id still goes, as before tracing existed.
    expect(calls.every((c) => typeof c.headers['x-request-id'] === 'string')).toBe(true);
  });
});
