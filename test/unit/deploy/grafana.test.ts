import { beforeAll, describe, expect, it } from '@jest/globals';
import { createMetrics } from '../../../src/observability/metrics.js';
import { readText } from './deploy-files.js';

/**
 * deploy/grafana/shop-bff.json against the BFF's real registry: every query names only
 * series the BFF exports (a renamed metric would leave a panel silently empty), and every
 * metric the BFF defines is on some panel (a new one is not forgotten).
 */

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string }>;
}
const dashboard = JSON.parse(readText('deploy/grafana/shop-bff.json')) as {
  uid: string;
  schemaVersion: number;
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
  panels: Panel[];
};

let families: Array<{ name: string; type: string }>;
let exported: Map<string, string>;
beforeAll(async () => {
  families = (await createMetrics().registry.getMetricsAsJSON()) as unknown as Array<{ name: string; type: string }>;
  exported = new Map(families.flatMap((f) => seriesOf(f).map((s) => [s, f.name] as const)));
});
/** The series a family exposes: a histogram's `_bucket`, `_count` and `_sum`, else its own name. */
const seriesOf = (f: { name: string; type: string }) => (f.type === 'histogram' ? ['_bucket', '_count', '_sum'].map((s) => f.name + s) : [f.name]);
/** The process defaults of prom-client: not the BFF's own, so not required on a panel. */
const isDefault = (name: string) => /^(process|nodejs)_/.test(name);

const queries = dashboard.panels.filter((p) => p.type !== 'row').flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
/** Metric names in a PromQL expression: identifiers followed by a label matcher. */
const metricsIn = (expr: string) => [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!);

describe('deploy/grafana/shop-bff.json', () => {
  it('is a dashboard with a Prometheus data source chosen by variable, and every panel uses it', () => {
    expect(dashboard.uid).toBe('shop-bff');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of dashboard.panels.filter((p) => p.type !== 'row')) expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: '${datasource}' });
  });

  it('queries only series the BFF exports', () => {
    expect(queries.length).toBeGreaterThan(10);
    for (const { panel, expr } of queries) {
      const names = metricsIn(expr);
      expect({ panel, names: names.length > 0 }).toEqual({ panel, names: true });
      expect({ panel, unknown: names.filter((n) => !exported.has(n)) }).toEqual({ panel, unknown: [] });
    }
  });

  it('shows every metric the BFF defines', () => {
    const shown = new Set(queries.flatMap(({ expr }) => metricsIn(expr).map((n) => exported.get(n)!)));
    const own = families.map((f) => f.name).filter((n) => !isDefault(n));
    expect(own.length).toBeGreaterThan(10);
    expect(own.filter((n) => !shown.has(n))).toEqual([]);
  });

  it('defines every variable its queries use', () => {
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    const used = new Set(queries.flatMap(({ expr }) => [...expr.matchAll(/\$(\w+)/g)].map((m) => m[1]!)).filter((v) => !v.startsWith('__')));
    expect([...used].filter((v) => !defined.has(v))).toEqual([]);
  });
});
