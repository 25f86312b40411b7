import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The clients' trusted-documents manifest (`npm run codegen`), `{ "sha256:<hex>": "<document>" }`. */
export const CLIENT_MANIFEST = fileURLToPath(new URL('../client/generated/persisted-documents.json', import.meta.url));

/**
 * The dashboard of issue 9 and DESIGN.md's performance budget
 * (`me → orders → lines → product → rating, reviews`): exactly three downstream calls
 * with the shared cache off, whatever the number of orders and lines. The app's own
 * `Dashboard` operation also asks for each order's payment, which costs one payments
 * call per intent (payments has no batch endpoint), so it is measured as a scenario of
 * its own and this one is compared with the baseline handler.
 */
export const BENCH_DASHBOARD = `query BenchDashboard {
  me {
    id
    orders(first: 20) {
      id
      total { formatted }
      lines {
        quantity
        product { name price { formatted } rating { average } reviews { rating } }
      }
    }
  }
}`;

const idOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

export interface BenchDocuments {
  /** Where the bench's manifest was written (`GRAPHQL_TRUSTED_DOCUMENTS_FILE`). */
  readonly file: string;
  readonly benchDashboard: string;
  /** The clients' operations by name: Dashboard, ProductPage, PlaceOrder, … */
  readonly byName: ReadonlyMap<string, string>;
}

/**
 * Writes the manifest the BFF runs with: the clients' manifest unchanged plus the bench
 * dashboard. Production settings stay: trusted documents are enforced and every
 * operation is sent by `documentId`, as the apps send them.
 */
export function writeBenchManifest(file: string): BenchDocuments {
  const manifest = JSON.parse(readFileSync(CLIENT_MANIFEST, 'utf8')) as Record<string, string>;
  const byName = new Map<string, string>();
  for (const [id, text] of Object.entries(manifest)) {
    const name = /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(text)?.[1];
    if (name) byName.set(name, id);
  }
  const benchDashboard = idOf(BENCH_DASHBOARD);
  writeFileSync(file, JSON.stringify({ ...manifest, [benchDashboard]: BENCH_DASHBOARD }, null, 2));
  return { file, benchDashboard, byName };
}
