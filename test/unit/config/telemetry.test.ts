import { describe, expect, it } from '@jest/globals';
import { readTelemetry } from '../../../src/config/telemetry.js';

const read = (env: Record<string, string>) => {
  const problems: string[] = [];
  return { ...readTelemetry(env, problems), problems };
};

describe('tracing settings (the standard OTEL_* variables)', () => {
  it('is off with nothing set', () => {
    expect(read({})).toEqual({ tracing: false, exporters: [], serviceName: 'shop-bff', problems: [] });
  });

  it('is on with an exporter named, or an OTLP endpoint alone', () => {
    expect(read({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ tracing: true, exporters: ['otlp'] });
    expect(read({ OTEL_TRACES_EXPORTER: 'otlp, console' })).toMatchObject({ tracing: true, exporters: ['otlp', 'console'] });
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({ tracing: true, exporters: ['otlp'] });
    expect(read({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces' })).toMatchObject({ tracing: true, exporters: ['otlp'] });
    expect(read({ OTEL_SERVICE_NAME: 'shop-bff-eu', OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({ serviceName: 'shop-bff-eu' });
  });

  it('is off when disabled or `none`, whatever else is set', () => {
    expect(read({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ tracing: false, exporters: [], problems: [] });
    expect(read({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({ tracing: false, problems: [] });
  });

  it('names every bad value at once', () => {
    const { problems } = read({ OTEL_SDK_DISABLED: 'yes', OTEL_TRACES_EXPORTER: 'zipkin,otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' });
    expect(problems).toEqual([
      'OTEL_SDK_DISABLED: must be true or false',
      'OTEL_TRACES_EXPORTER: zipkin is not one of otlp, console, none',
      'OTEL_EXPORTER_OTLP_ENDPOINT: must be an absolute http:// or https:// URL',
    ]);
  });
});
