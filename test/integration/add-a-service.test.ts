import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startBff, type RunningBff } from '../../src/bff.js';
import { ConfigError, loadConfig, SERVICE_SETTINGS } from '../../src/config/index.js';
import { listen } from '../../src/demo/http.js';
import { createSchema, loadTypeDefs } from '../../src/graphql/schema.js';
import { resolvers } from '../../src/graphql/resolvers/index.js';
import { SERVICES } from '../../src/services/registry.js';
import { inventory } from '../fixtures/inventory-service/index.js';
import { inventoryResolvers } from '../fixtures/inventory-service/resolvers.js';
import { createInventoryApp, type ReceivedCall } from '../fixtures/inventory-service/server.js';
import { recordingLogger } from '../support/fault-server.js';

/**
 * The registry's promise: a new downstream service is its own folder plus one line in
 * each half of the registry. A throw-away sixth service (test/fixtures/inventory-service)
 * is passed to the real composition as `[...SERVICES, inventory]`, with one type and one
 * field added to the schema; its settings, secret, client, loader, demo wiring and error
 * wording all come from its definition alone.
 */

const API_KEY = 'inventory-key-0123456789';
const services = [...SERVICES, inventory];
const settings = [...SERVICE_SETTINGS, inventory];
const SDL = readFileSync(new URL('../fixtures/inventory-service/schema.graphql', import.meta.url), 'utf8');

let bff: RunningBff;
let server: { url: string; close(): Promise<void> };
const received: ReceivedCall[] = [];
let failing = false;
const logs = recordingLogger();

async function graphql(query: string): Promise<{ data?: any; errors?: any[] }> {
  const res = await fetch(`${bff.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
}

beforeAll(async () => {
  server = await listen(createInventoryApp({ apiKey: () => API_KEY, received, failing: () => failing }), '127.0.0.1', 0);
  // The other four services run as their demo stand-ins, the IdP as the dev IdP: the
  // zero-config composition, with the sixth service pointed at its own server.
  const config = loadConfig(
    { PORT: '0', INVENTORY_URL: server.url, INVENTORY_API_KEY: API_KEY, INVENTORY_MAX_RETRIES: '0' },
    { services: settings },
  );
  bff = await startBff(config, {
    services,
    schema: createSchema({ typeDefs: [...loadTypeDefs(), SDL], resolvers: [resolvers, inventoryResolvers] }),
    logger: logs.logger,
  });
});

afterAll(async () => {
  await bff?.close();
  await server?.close();
  expect(logs.text()).not.toContain(API_KEY);
});

describe('a sixth downstream service added from its definition alone', () => {
  it('reads its settings from the definition: URL, secret, resilience, and no demo stand-in once its URL is set', () => {
    const inv = (bff.config.downstream as unknown as Record<string, any>).inventory;
    expect(inv).toMatchObject({ url: server.url, secret: { kind: 'value', value: API_KEY }, resilience: { maxRetries: 0 } });
    expect(bff.config.demo.services).toEqual(['catalog', 'orders', 'reviews', 'payments']);
  });

  it('is required in production like the others, URL and secret named together with every other problem', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ NODE_ENV: 'production' }, { services: settings });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        'INVENTORY_URL is required in production',
        'INVENTORY_API_KEY (or INVENTORY_API_KEY_FILE or INVENTORY_API_KEY_AWS_SECRET_ID) is required in production',
        'CATALOG_URL is required in production',
      ]),
    );
  });

  it('resolves its field through the real composition: one batched call with its own credential', async () => {
    received.length = 0;
    const result = await graphql('{ products(ids: ["p1", "p2", "p3"]) { id stockLevel { sku onHand } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data.products).toEqual([
      { id: 'p1', stockLevel: { sku: 'p1', onHand: 20 } },
      { id: 'p2', stockLevel: { sku: 'p2', onHand: 20 } },
      { id: 'p3', stockLevel: { sku: 'p3', onHand: 20 } },
    ]);
    // Three products, one call: the loader batched every id of the tick.
    expect(received).toEqual([{ path: '/levels', skus: ['p1', 'p2', 'p3'], apiKey: API_KEY }]);
  });

  it('fails only its own field, with the wording of its definition, when the service is down', async () => {
    received.length = 0;
    failing = true;
    try {
      const result = await graphql('{ product(id: "p1") { name stockLevel { onHand } } }');
      expect(result.data.product).toEqual({ name: expect.any(String), stockLevel: null });
      expect(result.errors).toEqual([
        expect.objectContaining({
          message: 'Stock levels are unavailable right now.',
          path: ['product', 'stockLevel'],
          extensions: expect.objectContaining({ code: 'DOWNSTREAM_UNAVAILABLE', service: 'inventory' }),
        }),
      ]);
      // INVENTORY_MAX_RETRIES=0 reached its client: one attempt, no retry.
      expect(received).toHaveLength(1);
    } finally {
      failing = false;
    }
  });

  it('reports its circuit on /metrics beside the others', async () => {
    const text = await (await fetch(`${bff.url}/metrics`)).text();
    expect(text).toContain('downstream_circuit_state{service="inventory",state="closed"} 1');
    expect(text).toContain('downstream_circuit_state{service="catalog",state="closed"} 1');
  });
});
