import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO } from '../../src/config/index.js';
import { stopChild } from '../support/child-process.js';
import { freePort } from '../support/free-port.js';

/**
 * Tracing as an operator turns it on: the BFF as a real process with only
 * `OTEL_EXPORTER_OTLP_ENDPOINT` set, exporting over OTLP/HTTP to a collector this test
 * runs. Proves the wiring tracing.test.ts cannot: the loader hook and the SDK start before
 * the app loads, so the http, express and graphql instrumentations see the request, and
 * the BFF's downstream spans join the same trace. Run twice: from source under tsx, and
 * as users run the build (`node dist/main.js`), whose bundle must leave the instrumented
 * packages outside it (scripts/build.ts) for their hooks to see them load.
 */

const TSX = new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;
const BUILT_MAIN = new URL('../../dist/main.js', import.meta.url).pathname;
const LAUNCHES = [
  { name: 'src/main.ts under tsx', args: [TSX, MAIN] },
  { name: 'the build, node dist/main.js (npm run build)', args: [BUILT_MAIN] },
];
/** tsx compiles the app first: seconds when idle, more on a loaded machine. No assertion on speed. */
const START_MS = 45_000;
const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const TRACEPARENT = `00-${TRACE_ID}-eee19b7ec3c1b174-01`;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  parentSpanId?: string;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}

describe.each(LAUNCHES)('tracing on through OTEL_EXPORTER_OTLP_ENDPOINT: $name', ({ args }) => {
  let collector: Server;
  const bodies: string[] = [];
  let child: ChildProcess;
  let out = '';
  let base: string;

  async function waitFor(predicate: () => boolean, what: string): Promise<void> {
    const limit = Date.now() + START_MS;
    while (!predicate()) {
      if (Date.now() > limit) throw new Error(`timed out waiting for ${what}\n${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const spans = (): OtlpSpan[] =>
    bodies.flatMap((b) =>
      (JSON.parse(b) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    );
  const attr = (s: OtlpSpan, key: string) => {
    const v = s.attributes?.find((a) => a.key === key)?.value;
    return v === undefined ? undefined : Object.values(v)[0];
  };

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    if (!existsSync(args[0]!)) throw new Error(`${args[0]} is missing: run npm run build (npm test does)`);
    child = spawn(process.execPath, args, {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
        // JSON, so the test reads what was sent; and a short batch delay, so it is sent soon.
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_SERVICE_NAME: 'shop-bff-under-test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitFor(() => out.includes('shop BFF listening'), 'the listening line');
  }, START_MS + 5_000);

  afterAll(async () => {
    if (child) await stopChild(child);
    await new Promise<void>((resolve) => collector?.close(() => resolve()));
  });

    it('exports the request’s server, GraphQL and downstream spans in the caller’s trace', async () => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: TRACEPARENT },
        body: JSON.stringify({ query: '{ product(id: "p1") { id name } }' }),
      });
      expect(res.status).toBe(200);
      const inTrace = () => spans().filter((s) => s.traceId === TRACE_ID);
      await waitFor(() => inTrace().some((s) => attr(s, 'downstream.service') === 'catalog'), 'the catalog call’s span at the collector');
      await waitFor(() => inTrace().some((s) => s.kind === 2), 'the server span at the collector');
      const find = (name: string, kind: number) => inTrace().find((s) => s.name === name && s.kind === kind);
      // SERVER 2, CLIENT 3, INTERNAL 1.
      const server = find('POST /graphql', 2);
      expect(server && attr(server, 'http.route')).toBe('/graphql');
      expect(find('graphql.parse', 1)).toBeDefined();
      expect(find('graphql.validate', 1)).toBeDefined();
      const call = find('GET /products?ids=', 3);
      expect(call && attr(call, 'downstream.service')).toBe('catalog');
      // The demo catalog (in this process) continued the call's traceparent: its server span is the call's child.
      const served = find('GET /products', 2);
      expect(served?.parentSpanId).toBe(call?.spanId);
      // Express's own spans: the route handlers, not one per middleware layer.
      expect(inTrace().filter((s) => s.name.startsWith('middleware - '))).toEqual([]);
      // Every span of the request is in the caller's trace, under its service name.
      expect(bodies.some((b) => b.includes('shop-bff-under-test'))).toBe(true);
    });

    it('exports no key, secret or query value', async () => {
      await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query Find($q: String!) { searchProducts(query: $q) { nodes { id } } }', variables: { q: 'a-search-only-the-user-typed' } }),
      });
      await waitFor(() => spans().some((s) => String(attr(s, 'url.template')).startsWith('/products/search?')), 'the search call’s span');
      const all = bodies.join('\n');
      for (const secret of [DEMO.catalogApiKey, DEMO.paymentsSecretKey, DEMO.clientSecret, 'a-search-only-the-user-typed']) expect(all).not.toContain(secret);
    });

    it('flushes on SIGTERM and exits 0', async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
});
