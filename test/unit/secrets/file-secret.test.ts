import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SecretsError, fileSecret, openSecrets } from '../../../src/secrets/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bff-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('fileSecret', () => {
  it('reads the file, without the trailing newline editors add', () => {
    writeFileSync(join(dir, 'key'), 'first\n');
    const secret = fileSecret(join(dir, 'key'));
    expect(secret.current()).toBe('first');
    expect(secret.description).toContain('file ');
    secret.close();
  });

  it('picks up a replaced file (write-then-rename, like Kubernetes) on refresh', async () => {
    writeFileSync(join(dir, 'key'), 'first');
    const secret = fileSecret(join(dir, 'key'));
    writeFileSync(join(dir, 'key.tmp'), 'second');
    renameSync(join(dir, 'key.tmp'), join(dir, 'key'));
    expect(await secret.refresh()).toBe(true);
    expect(secret.current()).toBe('second');
    expect(await secret.refresh()).toBe(false);
    secret.close();
  });

  it('keeps the last good value when the file is briefly gone or empty', async () => {
    writeFileSync(join(dir, 'key'), 'first');
    const errors: Error[] = [];
    const secret = fileSecret(join(dir, 'key'), { onError: (e) => errors.push(e) });
    rmSync(join(dir, 'key'));
    expect(await secret.refresh()).toBe(false);
    writeFileSync(join(dir, 'key'), '');
    expect(await secret.refresh()).toBe(false);
    expect(secret.current()).toBe('first');
    expect(errors.length).toBeGreaterThan(0);
    secret.close();
  });
});

describe('openSecrets', () => {
  it('names every unreadable secret at once, never a value', () => {
    writeFileSync(join(dir, 'empty'), '');
    try {
      openSecrets({
        a: { kind: 'file', path: join(dir, 'missing') },
        b: { kind: 'file', path: join(dir, 'empty') },
        c: { kind: 'value', value: 'visible-only-to-code' },
      });
      throw new Error('expected a SecretsError');
    } catch (err) {
      expect(err).toBeInstanceOf(SecretsError);
      const problems = (err as SecretsError).problems;
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^a: /);
      expect(problems[1]).toMatch(/^b: .*empty/);
      expect(String(err)).not.toContain('visible-only-to-code');
    }
  });
});
