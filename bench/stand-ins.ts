/**
 * The bench's counterparts, in their own process (never in the BFF's): the four demo
 * REST services on plain http loopback ports, the dev IdP (oidc-provider) behind https
 * with the bench's throw-away certificate, and a loopback control endpoint that reports
 * how many requests each service received.
 *
 * This is the ONLY bench file that imports the demo: if `src/demo/` moves, fix the two
 * imports below and nothing else.
 *
 * Input: one JSON object in `BENCH_STAND_INS` (see `StandInsInput`). Output: one line of
 * JSON on stdout once everything listens (see `StandInsReady`). Exits when stdin closes
 * (the bench died) or on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
// ↓ The demo's location: the integrator adjusts these two paths after the src/ restructuring.
import { createDevIdp } from '../src/demo/dev-idp.js';
import { startDemoServices } from '../src/demo/index.js';

export interface StandInsInput {
  /** PEM files of the throw-away certificate the IdP serves. */
  readonly certFile: string;
  readonly keyFile: string;
  /** The BFF's OIDC client (registered at the IdP for every public URL below). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** The https origins the BFF instances are configured with (`PUBLIC_URL`). */
  readonly publicUrls: readonly string[];
  readonly catalogApiKey: string;
  readonly paymentsSecretKey: string;
  readonly reviewsScope: string;
  /** Access token lifetime, seconds (long, so no refresh happens inside a run). */
  readonly accessTokenTtlS: number;
}

export interface StandInsReady {
  readonly issuer: string;
  readonly urls: Record<'catalog' | 'orders' | 'reviews' | 'payments', string>;
  /** `GET <control>/counts` answers `{ catalog, orders, reviews, payments }` (requests received so far). */
  readonly control: string;
}

const HOST = '127.0.0.1';

async function listenOn(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function main(): Promise<void> {
  const raw = process.env.BENCH_STAND_INS;
  if (!raw) throw new Error('BENCH_STAND_INS is not set (this process is started by bench/index.ts)');
  const input = JSON.parse(raw) as StandInsInput;

  // The IdP first: its issuer URL names its port, which is known only once it listens.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const idpServer = createHttpsServer(
    { cert: readFileSync(input.certFile), key: readFileSync(input.keyFile) },
    (req, res) => {
      if (!handler) return void res.writeHead(503).end();
      handler(req, res);
    },
  );
  const idpPort = await listenOn(idpServer);
  const issuer = `https://${HOST}:${idpPort}`;
  const idp = createDevIdp({
    issuer,
    clients: [
      {
        clientId: input.clientId,
        clientSecret: input.clientSecret,
        redirectUris: input.publicUrls.map((u) => `${u}/auth/callback`),
        postLogoutRedirectUris: input.publicUrls.map((u) => `${u}/`),
        tokenEndpointAuthMethod: 'client_secret_basic',
      },
    ],
    clientCredentialsScopes: [input.reviewsScope],
    accessTokenTtlS: input.accessTokenTtlS,
  });
  handler = idp.handler;

  const counts = { catalog: 0, orders: 0, reviews: 0, payments: 0 };
  const demo = await startDemoServices({
    issuer,
    introspectionClient: idp.resourceServer,
    secrets: { catalog: () => input.catalogApiKey, payments: () => input.paymentsSecretKey },
    scopes: { reviews: input.reviewsScope },
    onRequest: (r) => {
      counts[r.service] += 1;
    },
  });

  const control = createHttpServer((req, res) => {
    if (req.method === 'GET' && req.url === '/counts') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
      return;
    }
    res.writeHead(404).end();
  });
  const controlPort = await listenOn(control);

  let closing = false;
  const close = async (code: number) => {
    if (closing) return;
    closing = true;
    const force = setTimeout(() => process.exit(code), 3000);
    force.unref();
    control.close();
    control.closeAllConnections();
    idpServer.close();
    idpServer.closeAllConnections();
    await demo.close().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGTERM', () => void close(0));
  process.on('SIGINT', () => void close(0));
  // The bench holds our stdin open: when it goes away, so do we (no orphans).
  process.stdin.on('end', () => void close(0));
  process.stdin.on('error', () => void close(0));
  process.stdin.resume();

  const ready: StandInsReady = { issuer, urls: demo.urls, control: `http://${HOST}:${controlPort}` };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`stand-ins failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
