import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/**
 * Production never loads the demo: everything `src/main.ts` imports statically (type-only
 * imports are erased, `import()` runs only when a stand-in or the dev IdP is in use)
 * stays outside `src/demo/`, the services' `demo.ts` files and oidc-provider.
 */

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');
// `import x from '…'`, `import { … } from '…'`, `export … from '…'`; not `import type`, not `import()`.
const STATIC_IMPORT = /^(?:import|export)\s+(?!type\b)(?:[^'";]*?\s+from\s+)?'([^']+)'/gm;

function staticGraph(...entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      if (spec!.startsWith('.')) visit(resolve(dirname(file), spec!.replace(/\.js$/, '.ts')));
      else packages.add(spec!);
    }
  };
  for (const entry of entries) visit(entry);
  return { files, packages };
}

describe('what production loads', () => {
  const { files, packages } = staticGraph(
    resolve(SRC, 'main.ts'),
    // main.ts imports the composition root with `import()` after tracing may have started
    // (instrumentation must load first); production always loads it.
    resolve(SRC, 'bff.ts'),
  );

  it('reaches the composition root and every service definition', () => {
    expect(files).toContain(resolve(SRC, 'bff.ts'));
    expect(files).toContain(resolve(SRC, 'services/registry.ts'));
    expect(files).toContain(resolve(SRC, 'services/payments/client.ts'));
  });

  it('never reaches src/demo/, a demo stand-in or oidc-provider', () => {
    const demo = [...files].filter((f) => f.startsWith(resolve(SRC, 'demo')) || f.endsWith('/demo.ts'));
    expect(demo).toEqual([]);
    expect(packages).not.toContain('oidc-provider');
  });

  it('loads no development-only or on-demand package up front: pino-pretty, the AWS SDK, the OpenTelemetry SDK', () => {
    // Each is loaded with `import()` when its setting asks for it: a terminal, a secret in
    // AWS Secrets Manager, a trace exporter. Up front they would cost every start-up.
    const onDemand = [...packages].filter((p) => p === 'pino-pretty' || p.startsWith('@aws-sdk/') || p.startsWith('@opentelemetry/sdk-'));
    expect(onDemand).toEqual([]);
    expect(packages).toContain('pino');
  });
});
