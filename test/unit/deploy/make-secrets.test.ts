import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './deploy-files.js';

let dir: string;
const secrets = () => join(dir, 'secrets');
const read = (path: string) => readFileSync(join(secrets(), path), 'utf8');

function makeSecrets(...args: string[]) {
  return spawnSync('bash', [`${ROOT}deploy/make-secrets.sh`, ...args], {
    env: { PATH: process.env.PATH, SECRETS_DIR: secrets(), ENV_FILE: join(dir, '.env') },
    encoding: 'utf8',
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shop-make-secrets-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('deploy/make-secrets.sh', () => {
  it('is what `npm run deploy:secrets` runs, arguments passed through', () => {
    const run = spawnSync('npm', ['run', '--silent', 'deploy:secrets', '--', '--list'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, SECRETS_DIR: secrets(), ENV_FILE: join(dir, '.env') },
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['session_secret', 'redis_password', 'tls']));
    // --list only lists: nothing is made.
    expect(existsSync(secrets())).toBe(false);
  });

  it('makes every secret random and long enough for production, and .env from .env.example', () => {
    expect(makeSecrets().status).toBe(0);
    const values = ['bff/oidc_client_secret', 'bff/session_secret', 'bff/session_encryption_key', 'bff/catalog_api_key', 'bff/payments_secret_key', 'bff/redis_password', 'demo/introspection_client_secret', 'keycloak/admin_password'].map(read);
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(new Set(values).size).toBe(values.length);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(readFileSync(`${ROOT}.env.example`, 'utf8'));
  });

  it('writes a value two containers share identically to both', () => {
    expect(makeSecrets().status).toBe(0);
    expect(read('keycloak/bff_client_secret')).toBe(read('bff/oidc_client_secret'));
    expect(read('demo/catalog_api_key')).toBe(read('bff/catalog_api_key'));
    expect(read('demo/payments_secret_key')).toBe(read('bff/payments_secret_key'));
    expect(read('keycloak/introspection_client_secret')).toBe(read('demo/introspection_client_secret'));
    // Redis's ACL file holds the BFF's password for the default user, and a PING-only health user.
    expect(read('redis/users.acl').split('\n')).toEqual([`user default on >${read('bff/redis_password')} ~* &* +@all`, 'user healthcheck on nopass -@all +ping', '']);
  });

  it('issues a TLS certificate for both host names, signed by its own CA, which every client container gets', () => {
    expect(makeSecrets().status).toBe(0);
    const ca = new X509Certificate(read('ca/ca.crt'));
    const cert = new X509Certificate(read('caddy/tls.crt'));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkHost('shop.localhost')).toBe('shop.localhost');
    expect(cert.checkHost('auth.localhost')).toBe('auth.localhost');
    for (const d of ['bff', 'demo', 'keycloak']) expect(read(`${d}/ca.crt`)).toBe(read('ca/ca.crt'));
    // The CA's key stays in ca/, which no container mounts.
    expect(existsSync(join(secrets(), 'ca/ca.key'))).toBe(true);
  });

  it('uses the host names of an existing .env', () => {
    writeFileSync(join(dir, '.env'), 'SHOP_HOST=shop.test\nAUTH_HOST=id.shop.test\nHTTPS_PORT=443\n');
    expect(makeSecrets().status).toBe(0);
    const cert = new X509Certificate(read('caddy/tls.crt'));
    expect(cert.subjectAltName).toBe('DNS:shop.test, DNS:id.shop.test');
  });

  it('keeps the host off the secrets: the top directory is private, files readable inside the containers', () => {
    expect(makeSecrets().status).toBe(0);
    expect(statSync(secrets()).mode & 0o777).toBe(0o700);
    expect(statSync(join(secrets(), 'ca')).mode & 0o777).toBe(0o700);
    expect(statSync(join(secrets(), 'bff')).mode & 0o777).toBe(0o755);
    expect(statSync(join(secrets(), 'bff/session_secret')).mode & 0o777).toBe(0o644);
  });

  it('never overwrites an existing secret, certificate or .env on a second run', () => {
    expect(makeSecrets().status).toBe(0);
    const before = ['bff/session_secret', 'bff/oidc_client_secret', 'caddy/tls.crt', 'ca/ca.key'].map(read);
    writeFileSync(join(dir, '.env'), 'SHOP_HOST=shop.localhost\n# edited by hand\n');
    const again = makeSecrets();
    expect(again.status).toBe(0);
    expect(['bff/session_secret', 'bff/oidc_client_secret', 'caddy/tls.crt', 'ca/ca.key'].map(read)).toEqual(before);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('SHOP_HOST=shop.localhost\n# edited by hand\n');
    expect(again.stdout).toContain('kept');
  });

  it('restores a missing copy of a shared value from the kept one', () => {
    expect(makeSecrets().status).toBe(0);
    rmSync(join(secrets(), 'demo/catalog_api_key'));
    expect(makeSecrets().status).toBe(0);
    expect(read('demo/catalog_api_key')).toBe(read('bff/catalog_api_key'));
  });

  it('rotates a session secret as "new,old", so existing sessions stay readable', () => {
    expect(makeSecrets().status).toBe(0);
    const old = read('bff/session_secret');
    const r = makeSecrets('--rotate', 'session_secret');
    expect(r.status).toBe(0);
    const [current, previous, ...rest] = read('bff/session_secret').split(',');
    expect({ previous, rest }).toEqual({ previous: old, rest: [] });
    expect(current).not.toBe(old);
    expect(current).toMatch(/^[A-Za-z0-9_-]{32,}$/);
  });

  it('rotates a shared key in every copy, and the Redis password in the ACL file too', () => {
    expect(makeSecrets().status).toBe(0);
    const oldKey = read('bff/catalog_api_key');
    expect(makeSecrets('--rotate', 'catalog_api_key').status).toBe(0);
    expect(read('bff/catalog_api_key')).not.toBe(oldKey);
    expect(read('demo/catalog_api_key')).toBe(read('bff/catalog_api_key'));
    const oldPassword = read('bff/redis_password');
    expect(makeSecrets('--rotate', 'redis_password').status).toBe(0);
    expect(read('bff/redis_password')).not.toBe(oldPassword);
    expect(read('redis/users.acl')).toContain(`>${read('bff/redis_password')} `);
  });

  it('refuses an unknown secret or option with a message naming the way out', () => {
    expect(makeSecrets().status).toBe(0);
    const unknown = makeSecrets('--rotate', 'sesion_secret');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("unknown secret 'sesion_secret' (see --list)");
    const option = makeSecrets('--force');
    expect(option.status).toBe(1);
    expect(option.stderr).toContain("unknown option '--force'");
    expect(makeSecrets('--list').stdout.split('\n')).toContain('session_secret');
  });
});
