import type { Env } from './env-helpers.js';

/** Trace exporters the BFF knows how to start (`OTEL_TRACES_EXPORTER`). */
export const TRACE_EXPORTERS = ['otlp', 'console', 'none'] as const;

/**
 * OpenTelemetry tracing, configured by the standard `OTEL_*` variables. Off unless an
 * exporter is set: `OTEL_TRACES_EXPORTER=otlp` (or `console`), or an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) with no
 * exporter named. `OTEL_SDK_DISABLED=true` and `OTEL_TRACES_EXPORTER=none` turn it off.
 * The SDK reads its own details (headers, protocol, sampler, batch sizes) from the
 * other `OTEL_*` variables; they are checked there, not here.
 */
export interface TelemetryConfig {
  /** Whether the SDK and the instrumentations are started at all. Default `false`. */
  readonly tracing: boolean;
  /** The exporters named (`otlp`, `console`), or `['otlp']` when only an endpoint is given. */
  readonly exporters: readonly ('otlp' | 'console')[];
  /** `OTEL_SERVICE_NAME`, the `service.name` of every span. Default `shop-bff`. */
  readonly serviceName: string;
}

const ENDPOINTS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] as const;

export function readTelemetry(env: Env, problems: string[]): TelemetryConfig {
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || 'shop-bff';
  const disabledRaw = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabledRaw && disabledRaw !== 'true' && disabledRaw !== 'false') {
    problems.push('OTEL_SDK_DISABLED: must be true or false');
  }
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = named.filter((n) => !(TRACE_EXPORTERS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    problems.push(`OTEL_TRACES_EXPORTER: ${unknown.join(', ')} is not one of ${TRACE_EXPORTERS.join(', ')}`);
  }
  const endpoints = ENDPOINTS.filter((name) => env[name]?.trim());
  for (const name of endpoints) {
    if (!isHttpUrl(env[name]!.trim())) problems.push(`${name}: must be an absolute http:// or https:// URL`);
  }
  let exporters = named.filter((n): n is 'otlp' | 'console' => n === 'otlp' || n === 'console');
  if (named.length === 0 && endpoints.length > 0) exporters = ['otlp'];
  const off = disabledRaw === 'true' || named.includes('none');
  return { tracing: !off && exporters.length > 0, exporters: off ? [] : exporters, serviceName };
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
