import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from '@jest/globals';
import { freePort } from '../support/free-port.js';

/**
 * `src/main.ts` as a real process: what an operator sees. The environment is built
 * from scratch so nothing from the developer's shell leaks in.
 */

const TSX = new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

function start(env: Record<string, string>): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  let out = '';
  const proc = spawn(process.execPath, [TSX, MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  child = proc;
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, out: () => out, exited };
}

/**
 * Each test starts `src/main.ts` through tsx, which compiles the app first: seconds on an
 * idle machine, many more on a loaded one. Waits and test timeouts leave room for that;
 * none is an assertion on speed.
 */
const START_MS = 45_000;
const TEST_MS = 60_000;

async function waitFor(predicate: () => boolean, what: string, ms = START_MS): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start', () => {
  it('runs with no settings: demo services, dev IdP and memory store, each announced once', async () => {
    const port = await freePort();
    const { proc, out, exited } = start({ PORT: String(port) });
    await waitFor(() => out().includes('shop BFF listening'), 'the listening line');
    for (const part of ['demo services', 'development identity provider', 'in process memory']) {
      expect(out().split('\n').filter((l) => l.includes(part))).toHaveLength(1);
    }
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ product(id: "p1") { name rating { count } } }' }),
    });
    expect(await res.json()).toMatchObject({ data: { product: { name: expect.any(String) } } });
    const sandbox = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(await sandbox.text()).toContain('embeddable-sandbox');

    // SIGTERM drains and exits cleanly.
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, TEST_MS);

  it('refuses to start in production without settings, naming every problem at once', async () => {
    const { out, exited } = start({ NODE_ENV: 'production' });
    expect(await exited).toBe(1);
    for (const name of ['PUBLIC_URL', 'OIDC_ISSUER', 'OIDC_CLIENT_SECRET', 'REDIS_URL', 'SESSION_SECRET', 'CATALOG_URL', 'PAYMENTS_SECRET_KEY']) {
      expect(out()).toContain(name);
    }
    expect(out()).not.toMatch(/\n\s+at /); // a list of problems, not a stack trace
  }, TEST_MS);

  it('refuses a secret file it cannot read, naming it', async () => {
    const { out, exited } = start({ CATALOG_API_KEY_FILE: '/nonexistent/catalog-key' });
    expect(await exited).toBe(1);
    expect(out()).toContain('catalogApiKey');
  }, TEST_MS);

  it('refuses to start when trusted documents are enforced and the manifest cannot be read, naming it', async () => {
    const { out, exited } = start({ GRAPHQL_TRUSTED_DOCUMENTS: 'enforce', GRAPHQL_TRUSTED_DOCUMENTS_FILE: '/nonexistent/manifest.json' });
    expect(await exited).toBe(1);
    expect(out()).toContain('trusted documents manifest /nonexistent/manifest.json cannot be read');
    expect(out()).not.toContain('shop BFF listening');
  }, TEST_MS);
});
