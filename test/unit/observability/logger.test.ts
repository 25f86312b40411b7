import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger, lazyChild, prettyDestination } from '../../../src/observability/logger.js';
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

describe('a request\'s lazy child logger', () => {
  it('is made on the first line, which carries the bindings and is redacted as the parent\'s', () => {
    const out = recorder();
    const parent = createLogger({ level: 'info', destination: out.stream });
    let children = 0;
    const child = parent.child.bind(parent);
    parent.child = ((...args: Parameters<typeof parent.child>) => (children++, child(...args))) as typeof parent.child;
    const log = lazyChild(parent, { requestId: 'req-7' });
    // Copied, as Apollo copies the context per operation: still nothing made.
    const copy = { ...{ logger: log } };
    expect(children).toBe(0);
    copy.logger.warn({ token: 'a-token-value' }, 'downstream call failed');
    log.error('second line');
    expect(children).toBe(1);
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toMatchObject([
      { level: 40, requestId: 'req-7', token: '[redacted]', msg: 'downstream call failed' },
      { level: 50, requestId: 'req-7', msg: 'second line' },
    ]);
  });
});
