import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { CookieJar } from 'tough-cookie';
import { reply } from '../support/fault-server.js';
import { type FaultStack, startFaultStack } from '../support/fault-stack.js';
import { logoutThroughIdp } from '../support/oidc-login.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The access log as an operator's pipeline reads it: one JSON line per request, whatever
 * its outcome, with the request id the client saw, the trace id, method, route template,
 * status, duration and the GraphQL operation; `service` always this process (a
 * downstream is `downstream`); and nothing of the request's URL, headers or body.
 */

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

type Line = Record<string, unknown>;
const parse = (lines: readonly string[]): Line[] => lines.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Line);
const accessLines = (s: Stack, requestId: string) => parse(s.logLines).filter((l) => l.requestId === requestId && /^request (completed|failed)$/.test(String(l.msg)));

let stack: Stack;
let alice: CookieJar;
beforeAll(async () => {
  // Tracing on (an in-memory exporter), so lines carry the trace id.
  stack = await startStack({ traceExporter: new InMemorySpanExporter() });
  alice = await stack.login('alice');
});
afterAll(() => stack?.close());

describe('one access line per request', () => {
  it('for GraphQL: request id as answered, trace id, method, route, status, duration and the operation', async () => {
    const res = await stack.graphql(`query ShopFront { product(id: "p1") { id } }`, { jar: alice, headers: { traceparent: TRACEPARENT } });
    const requestId = res.headers.get('x-request-id')!;
    expect(requestId).toBeTruthy();
    const lines = accessLines(stack, requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      service: 'shop-bff',
      requestId,
      traceId: TRACE_ID,
      method: 'POST',
      route: '/graphql',
      status: 200,
      operation: 'ShopFront',
      msg: 'request completed',
    });
    expect(typeof lines[0]!.durationMs).toBe('number');
  });

  it('for every other route too, by its template and never its URL', async () => {
    const callback = await stack.fetch('/auth/callback?code=secret-looking-code-123&state=state-value-456');
    const notFound = await stack.fetch('/no/such/path?token=query-token-789');
    const ready = await stack.fetch('/readyz');
    const [c, n, r] = [callback, notFound, ready].map((res) => accessLines(stack, res.headers.get('x-request-id')!));
    expect([c, n, r].map((l) => l?.length)).toEqual([1, 1, 1]);
    expect(c![0]).toMatchObject({ method: 'GET', route: '/auth/callback', status: callback.status });
    expect(r![0]).toMatchObject({ method: 'GET', route: '/readyz', status: 200 });
    expect(n![0]).toMatchObject({ method: 'GET', route: 'other', status: 404 });
    const text = JSON.stringify([...c!, ...n!]);
    for (const v of ['secret-looking-code-123', 'state-value-456', 'query-token-789', '/no/such/path']) expect(text).not.toContain(v);
    // Only the fields of the contract: no request or response object with headers.
    // Only the fields of the contract (and pino's own; `instance` is the test stack's): no request or response object.
    const allowed = ['durationMs', 'hostname', 'instance', 'level', 'method', 'msg', 'operation', 'pid', 'requestId', 'route', 'service', 'status', 'time', 'traceId'];
    expect(Object.keys(c![0]!).filter((k) => !allowed.includes(k))).toEqual([]);
    expect(c![0]).not.toHaveProperty('req');
    expect(c![0]).not.toHaveProperty('res');
  });

  it('keeps the caller’s safe request id, and both sign-in and sign-out lines carry the request id', async () => {
    const res = await stack.graphql(`{ product(id: "p2") { id } }`, { headers: { 'x-request-id': 'caller-chosen-id-42' } });
    expect(res.headers.get('x-request-id')).toBe('caller-chosen-id-42');
    expect(accessLines(stack, 'caller-chosen-id-42')).toHaveLength(1);

    const jar = await stack.login('bob');
    const signedIn = parse(stack.logLines).filter((l) => l.msg === 'signed in');
    expect(signedIn.length).toBeGreaterThan(0);
    for (const l of signedIn) expect(typeof l.requestId).toBe('string');
    const user = await stack.fetch('/auth/user', { jar, headers: { 'x-csrf': '1' } });
    await logoutThroughIdp({ startUrl: new URL((JSON.parse(user.text_) as { logoutUrl: string }).logoutUrl, stack.bff.url).toString(), jar });
    const signedOut = parse(stack.logLines).filter((l) => l.msg === 'signed out');
    expect(signedOut).toHaveLength(1);
    expect(accessLines(stack, String(signedOut[0]!.requestId))).toHaveLength(1);
  });

  it('never writes a token, key, secret or cookie', async () => {
    expect(stack.leaks()).toEqual([]);
    const cookie = await alice.getCookieString(stack.bff.url);
    expect(stack.logLines.some((l) => l.includes(cookie))).toBe(false);
  });
});

describe('a downstream service in a log line', () => {
  let f: FaultStack<'catalog'>;
  beforeAll(async () => {
    f = await startFaultStack(['catalog'], { env: { CATALOG_MAX_RETRIES: '0' } });
  });
  afterAll(() => f?.close());

  it('is `downstream`, so `service` means this process on every line', async () => {
    f.faults.catalog.on('GET', '/products', reply.error(500, 'INTERNAL', 'boom'));
    await f.stack.graphql(`{ product(id: "p1") { id } }`);
    const lines = parse(f.stack.logLines);
    const aboutCatalog = lines.filter((l) => l.downstream === 'catalog');
    expect(aboutCatalog.length).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(['shop-bff']));
  });
});
