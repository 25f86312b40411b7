import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { App } from '../../src/app.js';
import { startBff } from '../../src/bff.js';
import { loadConfig } from '../../src/config/index.js';
import { SERVICES } from '../../src/services/registry.js';
import { recordingLogger } from '../support/fault-server.js';
import { freePort } from '../support/free-port.js';
import { PRODUCTION_ENV as PRODUCTION } from '../support/production-env.js';

/**
 * The HTTP server itself, started by `startBff` as main.ts starts it: timeouts against
 * slow clients (a raw socket trickling its headers), and who may read `/metrics` on the
 * public port and on `METRICS_PORT`. Nothing here reaches the IdP or a downstream
 * service, so their URLs point nowhere.
 */

const TOKEN = 'metrics-token-that-is-long-enough-0123456789';


interface Running {
  readonly url: string;
  readonly app: App;
  readonly logs: ReturnType<typeof recordingLogger>;
  /** The METRICS_PORT listener's URL (serving `app.metricsApp`). */
  readonly metricsUrl: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The BFF as main.ts starts it (`startBff`), on a free loopback port; no Redis (the app falls back to memory). */
async function start(env: Record<string, string>): Promise<Running> {
  const config = loadConfig(env);
  const logs = recordingLogger();
  const nowhere = 'http://127.0.0.1:9';
  const bff = await startBff(config, {
    logger: logs.logger,
    port: 0,
    metricsPort: 0,
    // Nothing here needs shared state; the production settings name a Redis that is not there.
    redis: false,
    urls: Object.fromEntries(SERVICES.map((s) => [s.name, nowhere])),
  });
  const metricsServer = createServer(bff.app.metricsApp);
  const metricsUrl = await listen(metricsServer);
  return {
    url: bff.url,
    app: bff.app,
    logs,
    metricsUrl,
    close: async () => {
      await new Promise((resolve) => {
        metricsServer.close(resolve);
        metricsServer.closeAllConnections();
      });
      await bff.close();
    },
  };
}

describe('server timeouts', () => {
  let bff: Running;
  beforeAll(async () => {
    bff = await start({ SERVER_HEADERS_TIMEOUT_MS: '1000', SERVER_REQUEST_TIMEOUT_MS: '2000', SERVER_KEEP_ALIVE_TIMEOUT_MS: '500' });
  });
  afterAll(() => bff?.close());

  it('sets the configured timeouts on the server', () => {
    expect(bff.app.httpServer.headersTimeout).toBe(1000);
    expect(bff.app.httpServer.requestTimeout).toBe(2000);
    expect(bff.app.httpServer.keepAliveTimeout).toBe(500);
  });

  it('cuts off a client that trickles its headers one byte at a time, and still serves a normal request', async () => {
    const { port } = new URL(bff.url);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    const started = Date.now();
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    // One byte every 100 ms, for as long as the server keeps listening; the headers never end.
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('a');
    }, 100);
    let elapsed: number;
    try {
      elapsed = await closed;
    } finally {
      clearInterval(trickle);
    }
    // Node's defaults would keep this connection for over a minute. Generous for a loaded
    // machine, far below that: the headers timeout (1 s) plus a few checking intervals.
    expect(elapsed).toBeLessThan(10_000);
    // Closed with 408 (or dropped), never answered as a request.
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);

    expect((await fetch(`${bff.url}/healthz`)).status).toBe(200);
  });
});

describe('/metrics', () => {
  const get = (url: string, token?: string) => fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const apps: Running[] = [];
  const run = async (env: Record<string, string>) => {
    const r = await start(env);
    apps.push(r);
    return r;
  };
  afterAll(async () => {
    for (const r of apps) await r.close();
    for (const r of apps) expect(r.logs.text()).not.toContain(TOKEN);
  });

  it('in production, is not on the public port without METRICS_TOKEN (404) but on the metrics listener', async () => {
    const bff = await run({ ...PRODUCTION, METRICS_PORT: '9464' });
    const res = await get(bff.url);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    expect((await get(bff.url, 'anything')).status).toBe(404);

    const internal = await get(bff.metricsUrl);
    expect(internal.status).toBe(200);
    expect(internal.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await internal.text()).toContain('http_request_duration_seconds');
    // The metrics listener serves nothing else.
    expect((await fetch(`${bff.metricsUrl}/graphql`)).status).toBe(404);
    expect((await fetch(`${bff.metricsUrl}/healthz`)).status).toBe(404);
  });

  it('in production, with METRICS_TOKEN, answers the public port only with that bearer token', async () => {
    const bff = await run({ ...PRODUCTION, METRICS_TOKEN: TOKEN });
    for (const token of [undefined, 'wrong-token', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const res = await get(bff.url, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const text = await res.text();
      expect(text).not.toContain(TOKEN);
      expect(JSON.parse(text)).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
    }
    const res = await get(bff.url, TOKEN);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('http_rate_limited_total');
  });

  it('outside production, is open on the public port unless METRICS_TOKEN is set', async () => {
    const open = await run({});
    expect((await get(open.url)).status).toBe(200);
    const guarded = await run({ METRICS_TOKEN: TOKEN });
    expect((await get(guarded.url)).status).toBe(401);
    expect((await get(guarded.url, TOKEN)).status).toBe(200);
  });
});

describe('main.ts with METRICS_PORT', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('serves /metrics on its own listener and closes it on SIGTERM, never printing the token', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const tsx = new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
    const main = new URL('../../src/main.ts', import.meta.url).pathname;
    let out = '';
    const proc = spawn(process.execPath, [tsx, main], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), METRICS_PORT: String(metricsPort), METRICS_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    // Generous: tsx compiles the app on start, slow on a loaded machine.
    for (const until = Date.now() + 45_000; !(out.includes('shop BFF listening') && out.includes('metrics listening')); ) {
      if (Date.now() > until) throw new Error(`did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).not.toContain(TOKEN);
  }, 60_000);
});
