import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger, prettyDestination } from '../../../src/observability/logger.js';
import { PRODUCTION_ENV } from '../../support/production-env.js';

function recorder() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('pretty log lines', () => {
  it('are chosen for a terminal outside production only', () => {
    expect(loadConfig({}, { terminal: true }).log.pretty).toBe(true);
    expect(loadConfig({}, { terminal: false }).log.pretty).toBe(false);
    // Production's lines go to a log pipeline: always JSON, terminal or not.
    expect(loadConfig(PRODUCTION_ENV, { terminal: true }).log.pretty).toBe(false);
  });

  it('are human-readable, carry the fields, and redact as the JSON lines do', async () => {
    const out = recorder();
    const logger = createLogger({ level: 'info', destination: await prettyDestination(out.stream) });
    logger.info({ requestId: 'req-1', headers: { authorization: 'Bearer secret-access-token' } }, 'signed in');
    const text = out.text();
    expect(text).toMatch(/INFO.*signed in/);
    expect(text).toContain('req-1');
    expect(text).not.toContain('secret-access-token');
    // Not JSON: a line a person reads.
    expect(() => JSON.parse(text.split('\n')[0]!)).toThrow();
  });
});
