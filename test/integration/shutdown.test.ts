import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startBff } from '../../src/bff.js';
import { loadConfig } from '../../src/config/index.js';
import { recordingLogger } from '../support/fault-server.js';
import { freePort } from '../support/free-port.js';

/**
 * Shutdown at the composition root: from the moment `close()` is called (what SIGTERM
 * does in main.ts) `/readyz` answers 503, so a load balancer stops sending, while a
 * request already in flight still completes (Apollo's drain plugin), and only then does
 * the server close. Ordered by events, not by time: the downstream answer is held until
 * the test releases it, and the readiness request travels on the in-flight request's own
 * connection (HTTP/1.1 pipelining), which the drain keeps open until its requests finish.
 */

let catalog: Server | undefined;
afterAll(async () => {
  await new Promise((resolve) => catalog?.close(resolve));
});

describe('startBff close()', () => {
  it('answers /readyz 503 from the start of the shutdown while the request in flight completes', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    catalog = createServer((_req, res) => {
      arrived();
      void released.then(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ items: [{ id: 'p1', name: 'Held product', priceCents: 100, currency: 'EUR', stock: 1 }] }));
      });
    });
    await new Promise<void>((resolve) => catalog!.listen(0, '127.0.0.1', resolve));
    const catalogUrl = `http://127.0.0.1:${(catalog.address() as AddressInfo).port}`;

    const logs = recordingLogger();
    // A known port, so that PUBLIC_URL (and the embedded dev IdP under it) is reachable for /readyz.
    const bffPort = await freePort();
    const bff = await startBff(loadConfig({ PORT: String(bffPort), CATALOG_URL: catalogUrl, CATALOG_TIMEOUT_MS: '60000' }), {
      logger: logs.logger,
    });
    const { port } = new URL(bff.url);
    expect((await fetch(`${bff.url}/readyz`)).status).toBe(200);

    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let received = '';
    socket.on('data', (d) => (received += d.toString('utf8')));
    const socketClosed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const body = JSON.stringify({ query: '{ product(id: "p1") { name } }' });
    socket.write(
      `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await inFlight;

    const closed = bff.close();
    // After the shutdown began, on the connection the drain keeps open for the request in flight.
    socket.write('GET /readyz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    release();
    await closed;
    await socketClosed;

    const statuses = [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 503]);
    expect(received).toContain('"name":"Held product"');
    expect(received).toContain('"failing":["shutting-down"]');
    // The server is closed: no new connection is accepted.
    await expect(fetch(`${bff.url}/healthz`)).rejects.toThrow();
  });
});
