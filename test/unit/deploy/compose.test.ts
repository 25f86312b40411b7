import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { loadDemoServicesConfig } from '../../../src/config/demo-services.js';
import { loadConfig } from '../../../src/config/index.js';
import { documentedSecretSettings, documentedSettings, readText, ROOT } from './deploy-files.js';

interface Service {
  image?: string;
  build?: unknown;
  restart?: string;
  ports?: string[];
  expose?: string[];
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test?: string[] };
  networks?: Record<string, { aliases?: string[] }>;
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
}

const compose = parse(readText('docker-compose.yml')) as { services: Record<string, Service>; secrets?: unknown; volumes?: Record<string, unknown> };
const services = compose.services;
const env = (name: string) => services[name]!.environment ?? {};

/** `${NAME:-default}` → the default, as compose would substitute with the .env.example values. */
const example = Object.fromEntries(
  readText('.env.example')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const substitute = (v: string) =>
  v.replace(/\$\{([A-Z_]+)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => example[name] ?? fallback ?? '');

/** The bind mounts of a service: host source → container target. */
function binds(name: string): Array<{ source: string; target: string; readOnly: boolean }> {
  return (services[name]!.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source!.startsWith('./'))
    .map(([source, target, mode]) => ({ source: source!, target: target!, readOnly: mode === 'ro' }));
}

/** Every `*_FILE` setting's path must lie in a read-only directory bind mount under ./secrets/. */
function secretMountOf(name: string, path: string) {
  return binds(name).find((b) => b.source.startsWith('./secrets/') && path.startsWith(`${b.target}/`));
}

describe('docker-compose.yml', () => {
  it('has the BFF, Redis, Keycloak, a TLS terminator and the demo services', () => {
    expect(Object.keys(services).sort()).toEqual(['bff', 'caddy', 'demo-services', 'keycloak', 'redis']);
  });

  it.each(Object.keys(services))('%s has a healthcheck and a restart policy', (name) => {
    const s = services[name]!;
    expect(s.healthcheck?.test?.[0]).toMatch(/^CMD(-SHELL)?$/);
    expect(s.healthcheck!.test!.length).toBeGreaterThan(1);
    expect(['always', 'unless-stopped', 'on-failure']).toContain(s.restart);
  });

  it.each(Object.keys(services).filter((n) => services[n]!.image))('%s runs a pinned image, never :latest', (name) => {
    expect(services[name]!.image).toMatch(/:\d+\.\d+(\.\d+)?(-[a-z0-9]+)?$/);
  });

  it('checks the BFF with /readyz, and the BFF runs read-only, without capabilities, in production', () => {
    const bff = services.bff!;
    expect(bff.healthcheck!.test!.join(' ')).toContain('/readyz');
    expect(bff.build).toBeDefined();
    expect(bff.read_only).toBe(true);
    expect(bff.cap_drop).toEqual(['ALL']);
    expect(bff.security_opt).toContain('no-new-privileges:true');
    expect(env('bff').NODE_ENV).toBe('production');
  });

  it('puts the TLS terminator in front: only caddy publishes a port, and it proxies to the BFF and Keycloak', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0).map(([n]) => n);
    expect(published).toEqual(['caddy']);
    const caddyfile = readText('deploy/caddy/Caddyfile');
    expect(caddyfile).toMatch(/https:\/\/\{\$SHOP_HOST\}:\{\$HTTPS_PORT\} \{[^}]*tls \/run\/secrets\/caddy\/tls\.crt \/run\/secrets\/caddy\/tls\.key[^}]*reverse_proxy bff:4000/);
    expect(caddyfile).toMatch(/https:\/\/\{\$AUTH_HOST\}:\{\$HTTPS_PORT\} \{[^}]*reverse_proxy keycloak:8080/);
    expect(binds('caddy')).toContainEqual({ source: './secrets/caddy', target: '/run/secrets/caddy', readOnly: true });
    // The BFF believes X-Forwarded-Proto from exactly that one proxy.
    expect(env('bff').TRUST_PROXY_HOPS).toBe('1');
  });

  it('gives browsers and containers the same https URLs: the public names lead to caddy inside the stack', () => {
    const publicUrl = new URL(substitute(env('bff').PUBLIC_URL!));
    const issuer = new URL(substitute(env('bff').OIDC_ISSUER!));
    expect(publicUrl.protocol).toBe('https:');
    expect(issuer.protocol).toBe('https:');
    const aliases = services.caddy!.networks!.default!.aliases!.map(substitute);
    expect(aliases).toEqual(expect.arrayContaining([publicUrl.hostname, issuer.hostname]));
    // Caddy listens inside on the port it publishes, so the URLs carry one port everywhere.
    const [outside, inside] = substitute(services.caddy!.ports![0]!).split(':');
    expect(outside).toBe(publicUrl.port);
    expect(inside).toBe(issuer.port);
    // Keycloak announces the issuer the BFF and the demo services are given.
    expect(substitute(env('keycloak').KC_HOSTNAME!)).toBe(issuer.origin);
    expect(`${issuer.origin}/realms/shop`).toBe(issuer.href);
    expect(substitute(env('demo-services').OIDC_ISSUER!)).toBe(issuer.href);
    expect(substitute(env('keycloak').BFF_PUBLIC_URL!)).toBe(publicUrl.origin);
  });

  it.each(['bff', 'demo-services'])('%s trusts the stack CA through NODE_EXTRA_CA_CERTS from its mounted directory', (name) => {
    const path = env(name).NODE_EXTRA_CA_CERTS!;
    expect(posix.basename(path)).toBe('ca.crt');
    expect(secretMountOf(name, path)).toBeDefined();
  });

  it.each(['bff', 'demo-services'])('%s takes every secret as *_FILE from a read-only directory mount, never inline', (name) => {
    const e = env(name);
    for (const secret of documentedSecretSettings()) expect(e).not.toHaveProperty(secret);
    const files = Object.entries(e).filter(([k]) => k.endsWith('_FILE'));
    expect(files.length).toBeGreaterThan(1);
    for (const [setting, path] of files) {
      const mount = secretMountOf(name, path);
      expect({ setting, mount: mount && { ...mount, dir: posix.dirname(path) === mount.target } }).toEqual({
        setting,
        mount: { source: `./secrets/${mount?.source.split('/')[2]}`, target: posix.dirname(path), readOnly: true, dir: true },
      });
    }
    // No compose `secrets:` (each one is a single-file mount that keeps its old inode).
    expect(compose.secrets).toBeUndefined();
  });

  it('sets the BFF secrets the production rules ask for, from files', () => {
    expect(Object.keys(env('bff')).filter((k) => k.endsWith('_FILE')).sort()).toEqual([
      'CATALOG_API_KEY_FILE',
      'OIDC_CLIENT_SECRET_FILE',
      'PAYMENTS_SECRET_KEY_FILE',
      'REDIS_PASSWORD_FILE',
      'SESSION_ENCRYPTION_KEY_FILE',
      'SESSION_SECRET_FILE',
    ]);
    expect(env('bff').REDIS_URL).toBe('redis://redis:6379');
  });

  it('names no secret value in any environment: secret-looking names are files, paths or user names', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (!/SECRET|PASSWORD|PASSWD|TOKEN|_KEY$|API_KEY/.test(key)) continue;
        expect({ service: name, key, isPath: /_FILE$|_PATHS?$/.test(key) && String(value).startsWith('/run/secrets/') }).toEqual({
          service: name,
          key,
          isPath: true,
        });
      }
    }
  });

  it('runs Redis with a password (an ACL file from its secrets directory) and AOF persistence on a volume', () => {
    const redis = services.redis!;
    const args = redis.command!;
    expect(args[0]).toBe('redis-server');
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--dir')).toBe('/data');
    expect(redis.volumes).toContain('redis-data:/data');
    expect(compose.volumes).toHaveProperty('redis-data');
    expect(secretMountOf('redis', flag('--aclfile')!)).toEqual({ source: './secrets/redis', target: '/run/secrets/redis', readOnly: true });
    // The healthcheck's user may only PING.
    expect(redis.healthcheck!.test!.join(' ')).toContain('--user healthcheck');
    expect(args.join(' ')).not.toMatch(/requirepass/);
  });

  it('imports the realm into Keycloak, with the clients secrets read from files by the entrypoint', () => {
    const kc = services.keycloak!;
    expect(kc.image).toMatch(/^quay\.io\/keycloak\/keycloak:\d+\.\d+\.\d+$/);
    const script = kc.entrypoint!.join(' ');
    expect(script).toContain('kc.sh start --import-realm');
    expect(binds('keycloak')).toContainEqual({ source: './deploy/keycloak/import', target: '/opt/keycloak/data/import', readOnly: true });
    expect(kc.healthcheck!.test!.join(' ')).toContain('/health/ready');
    expect(env('keycloak').KC_HEALTH_ENABLED).toBe('true');
    // Every ${PLACEHOLDER} of the realm file is exported by the entrypoint or set in the environment.
    const realm = readText('deploy/keycloak/import/shop-realm.json');
    const placeholders = new Set([...realm.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!));
    expect(placeholders.size).toBeGreaterThan(0);
    for (const p of placeholders) {
      const exported = new RegExp(`(export |\\s)${p}="\\$\\$\\(< /run/secrets/keycloak/`).test(script);
      expect({ placeholder: p, provided: exported || p in env('keycloak') }).toEqual({ placeholder: p, provided: true });
    }
  });

  it('mounts for each *_FILE setting a file that `npm run deploy:secrets` makes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shop-compose-secrets-'));
    try {
      const run = spawnSync('bash', [`${ROOT}deploy/make-secrets.sh`], {
        env: { PATH: process.env.PATH, SECRETS_DIR: join(dir, 'secrets'), ENV_FILE: join(dir, '.env') },
        encoding: 'utf8',
      });
      expect(run.status).toBe(0);
      for (const name of ['bff', 'demo-services', 'redis', 'keycloak', 'caddy']) {
        const paths = [
          ...Object.entries(env(name)).filter(([k]) => k.endsWith('_FILE') || k === 'NODE_EXTRA_CA_CERTS' || k === 'KC_TRUSTSTORE_PATHS').map(([, v]) => v),
          ...(services[name]!.command ?? []).filter((a) => a.startsWith('/run/secrets/')),
          ...[...(services[name]!.entrypoint ?? []).join(' ').matchAll(/\/run\/secrets\/[a-z_/.]+/g)].map((m) => m[0]),
        ];
        if (name === 'caddy') paths.push(...[...readText('deploy/caddy/Caddyfile').matchAll(/\/run\/secrets\/[a-z_/.]+/g)].map((m) => m[0]));
        for (const path of paths) {
          const mount = secretMountOf(name, path)!;
          const hostPath = join(dir, mount.source.slice(2), path.slice(mount.target.length));
          expect({ service: name, path, content: readFileSync(hostPath, 'utf8').length > 0 }).toEqual({ service: name, path, content: true });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the BFF and the demo services a configuration their production rules accept', () => {
    const substituted = (name: string) => Object.fromEntries(Object.entries(env(name)).map(([k, v]) => [k, substitute(String(v))]));
    expect(loadConfig(substituted('bff')).production).toBe(true);
    expect(Object.keys(loadDemoServicesConfig(substituted('demo-services')).ports)).toEqual(['catalog', 'orders', 'reviews', 'payments']);
    // The demo services listen where the BFF's *_URL settings point.
    const ports = loadDemoServicesConfig(substituted('demo-services')).ports;
    for (const [service, port] of Object.entries(ports)) {
      expect(substituted('bff')[`${service.toUpperCase()}_URL`]).toBe(`http://demo-services:${port}`);
      expect(services['demo-services']!.expose).toContain(String(port));
    }
  });

  it('sets only settings the BFF and the demo services know (docs/http-and-config.md)', () => {
    const known = documentedSettings();
    for (const name of ['bff', 'demo-services']) {
      const unknown = Object.keys(env(name)).filter((k) => !known.has(k));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  it('passes `docker-compose config` where the docker-compose binary is installed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shop-compose-config-'));
    try {
      writeFileSync(join(dir, '.env'), readText('.env.example'));
      const r = spawnSync('docker-compose', ['--env-file', join(dir, '.env'), '-f', `${ROOT}docker-compose.yml`, 'config', '--quiet'], {
        encoding: 'utf8',
      });
      const absent = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
      // Either the binary is absent (nothing to run), or the file passes: never silently skipped.
      expect(absent ? 'docker-compose absent' : { status: r.status, stderr: r.stderr }).toEqual(
        absent ? 'docker-compose absent' : { status: 0, stderr: '' },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/keycloak/import/shop-realm.json', () => {
  const realm = JSON.parse(readText('deploy/keycloak/import/shop-realm.json')) as {
    realm: string;
    clients: Array<Record<string, unknown> & { clientId: string; attributes?: Record<string, string> }>;
    users: Array<{ id: string; username: string; credentials: Array<{ value: string }> }>;
    clientScopes: Array<{ name: string }>;
  };
  const bff = realm.clients.find((c) => c.clientId === env('bff').OIDC_CLIENT_ID)!;

  it('holds the BFF as a confidential client with PKCE S256, its redirect, post-logout and back-channel logout URIs', () => {
    expect(realm.realm).toBe(new URL(substitute(env('bff').OIDC_ISSUER!)).pathname.split('/').pop());
    expect(bff).toMatchObject({
      publicClient: false,
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      // The client-credentials grant, for the reviews token.
      serviceAccountsEnabled: true,
      secret: '${BFF_CLIENT_SECRET}',
      redirectUris: ['${BFF_PUBLIC_URL}/auth/callback'],
    });
    expect(bff.attributes).toMatchObject({
      'pkce.code.challenge.method': 'S256',
      'post.logout.redirect.uris': '${BFF_PUBLIC_URL}/',
      'backchannel.logout.url': '${BFF_PUBLIC_URL}/auth/backchannel-logout',
      'backchannel.logout.session.required': 'true',
    });
  });

  it('offers every scope the BFF asks for, and the reviews scope for client credentials', () => {
    const scopes = new Set([...(bff.defaultClientScopes as string[]), ...(bff.optionalClientScopes as string[])]);
    // offline_access is created by Keycloak itself when the realm file does not declare it.
    for (const s of ['profile', 'email', 'offline_access', 'reviews:read']) expect(scopes).toContain(s);
    for (const s of scopes) {
      if (s !== 'offline_access') expect(realm.clientScopes.map((c) => c.name)).toContain(s);
    }
    // A realm file with clientScopes gets none of Keycloak's built-ins: `basic` carries `sub`.
    expect(bff.defaultClientScopes).toContain('basic');
  });

  it('has the demo users alice and bob, with the subs the demo orders belong to', () => {
    expect(realm.users.map((u) => [u.id, u.username])).toEqual([
      ['alice', 'alice'],
      ['bob', 'bob'],
    ]);
  });

  it('keeps every client secret out of the file', () => {
    for (const c of realm.clients) expect(c.secret).toMatch(/^\$\{[A-Z_]+\}$/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readText('Dockerfile');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('runs the built dist/ as a numeric non-root user', () => {
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    expect(runtime).not.toMatch(/^USER (root|0)\b/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
  });

  it('builds with what npm run build needs, and keeps package.json, which marks the project root the BFF reads schema/ from', () => {
    const build = dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '));
    expect(build).toMatch(/^COPY scripts \.\/scripts$/m);
    expect(build).toMatch(/^COPY src \.\/src$/m);
    expect(runtime).toMatch(/^COPY package\.json \.\/$/m);
    expect(runtime).toMatch(/^COPY schema \.\/schema$/m);
  });

  it('leaves the spot for the web app and the explorer builds', () => {
    expect(dockerfile).toMatch(/web\/dist/);
    expect(dockerfile).toMatch(/explorer\/dist/);
  });
});
