import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

/** Replaces a file the way Kubernetes and editors do: write aside, then rename over it. */
const replace = (name: string, value: string) => {
  writeFileSync(join(dir, `.${name}.tmp`), value);
  renameSync(join(dir, `.${name}.tmp`), join(dir, name));
};

describe('fileSecret.waitForChange', () => {
  it('resolves true as soon as a replaced file lands, false after the timeout otherwise', async () => {
    writeFileSync(join(dir, 'key'), 'first');
    const secret = fileSecret(join(dir, 'key'), { pollMs: 10_000 });
    expect(await secret.waitForChange!('first', 30)).toBe(false);
    const started = Date.now();
    const waiting = secret.waitForChange!('first', 5000);
    setTimeout(() => replace('key', 'second'), 20);
    expect(await waiting).toBe(true);
    expect(secret.current()).toBe('second');
    // The watcher woke it: without it the 5 s wait would have ended first (false), the
    // 10 s poll later still. Bounded by the wait, not by how fast the machine is.
    expect(Date.now() - started).toBeLessThan(5000);
    secret.close();
  });

  it('answers at once when the value already differs from the one refused', async () => {
    writeFileSync(join(dir, 'key'), 'second');
    const secret = fileSecret(join(dir, 'key'));
    expect(await secret.waitForChange!('first', 5000)).toBe(true);
    expect(await secret.waitForChange!('second', 0)).toBe(false);
    secret.close();
  });

  it('re-reads while waiting, for a change the watcher cannot see', async () => {
    // The watched directory holds a symlink; the file it points to is edited elsewhere,
    // so no event reaches the watcher (as with some network filesystems).
    mkdirSync(join(dir, 'elsewhere'));
    mkdirSync(join(dir, 'mount'));
    writeFileSync(join(dir, 'elsewhere', 'real'), 'first');
    symlinkSync(join(dir, 'elsewhere', 'real'), join(dir, 'mount', 'key'));
    const secret = fileSecret(join(dir, 'mount', 'key'), { pollMs: 10 });
    const waiting = secret.waitForChange!('first', 5000);
    setTimeout(() => writeFileSync(join(dir, 'elsewhere', 'real'), 'second'), 20);
    expect(await waiting).toBe(true);
    expect(secret.current()).toBe('second');
    secret.close();
  });

  it('ends pending waits when closed', async () => {
    writeFileSync(join(dir, 'key'), 'first');
    const secret = fileSecret(join(dir, 'key'));
    const waiting = secret.waitForChange!('first', 5000);
    secret.close();
    expect(await waiting).toBe(false);
  });
});

describe('a file caught mid-write', () => {
  it('is not taken for the new secret: a short read counts only when a second read agrees', async () => {
    writeFileSync(join(dir, 'key'), 'first');
    // What a poll saw once while the file was rewritten in place, then the finished file.
    const reads = ['secon', 'second'];
    const secret = fileSecret(join(dir, 'key'), { readText: async () => reads.shift() ?? 'second' });
    expect(await secret.refresh()).toBe(false);
    expect(secret.current()).toBe('first');
    expect(await secret.refresh()).toBe(true);
    expect(secret.current()).toBe('second');
    secret.close();
  });
});

describe('fileSecret refresh races', () => {
  it('a refresh that starts while a read is under way still sees the file as it is after the call', async () => {
    writeFileSync(join(dir, 'key'), 'v0');
    // Reads take what the file holds when they start, as a real read may.
    const readText = async (path: string) => readFileSync(path, 'utf8');
    const secret = fileSecret(join(dir, 'key'), { readText });
    for (let i = 1; i <= 5; i++) {
      writeFileSync(join(dir, 'key'), `a${i}`);
      const first = secret.refresh();
      writeFileSync(join(dir, 'key'), `b${i}`);
      // Sharing the read already under way would answer with a${i}.
      expect(await secret.refresh()).toBe(true);
      await first;
      expect(secret.current()).toBe(`b${i}`);
    }
    secret.close();
  });

  it('never lets a slow earlier read put an older value back', async () => {
    writeFileSync(join(dir, 'key'), 'v0');
    // Each read takes what the file holds when it starts, and the first one is slow: had
    // the two reads overlapped, the first would finish last and restore its old value.
    let reads = 0;
    const readText = async (path: string) => {
      const text = readFileSync(path, 'utf8');
      if (++reads === 1) await new Promise((r) => setTimeout(r, 50));
      return text;
    };
    const secret = fileSecret(join(dir, 'key'), { readText });
    writeFileSync(join(dir, 'key'), 'v1');
    const first = secret.refresh();
    writeFileSync(join(dir, 'key'), 'v2');
    const second = secret.refresh();
    await Promise.all([first, second]);
    expect(secret.current()).toBe('v2');
    await new Promise((r) => setTimeout(r, 60));
    expect(secret.current()).toBe('v2');
    secret.close();
  });
});

describe('openSecrets', () => {
  it('names every unreadable secret at once, never a value', async () => {
    writeFileSync(join(dir, 'empty'), '');
    const opening = openSecrets({
      a: { kind: 'file', path: join(dir, 'missing') },
      b: { kind: 'file', path: join(dir, 'empty') },
      c: { kind: 'value', value: 'visible-only-to-code' },
    });
    const err = await opening.then(() => new Error('expected a SecretsError'), (e: unknown) => e);
    expect(err).toBeInstanceOf(SecretsError);
    const problems = (err as SecretsError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^a: /);
    expect(problems[1]).toMatch(/^b: .*empty/);
    expect(String(err)).not.toContain('visible-only-to-code');
  });
});

describe('a Kubernetes projected Secret volume', () => {
  /**
   * kubelet's atomic writer: the files live in a timestamped directory, `..data` links to
   * it, and each visible name links through `..data`; an update writes a new directory,
   * points a temporary link at it, renames that over `..data` and removes the old one.
   */
  const project = (version: string, value: string) => {
    mkdirSync(join(dir, version));
    writeFileSync(join(dir, version, 'catalog_api_key'), value);
    symlinkSync(version, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };

  it('is followed through the ..data swap by the watcher alone, without a restart or a refresh', async () => {
    project('..2026_12_02_10_00_00.1', 'first-key');
    symlinkSync(join('..data', 'catalog_api_key'), join(dir, 'catalog_api_key'));
    // A poll far beyond the wait below: only the directory watcher can see the swap in time.
    const secret = fileSecret(join(dir, 'catalog_api_key'), { pollMs: 600_000 });
    expect(secret.current()).toBe('first-key');
    const waiting = secret.waitForChange!('first-key', 20_000);
    project('..2026_12_02_11_00_00.2', 'second-key');
    rmSync(join(dir, '..2026_12_02_10_00_00.1'), { recursive: true });
    expect(await waiting).toBe(true);
    expect(secret.current()).toBe('second-key');
    secret.close();
  });
});
