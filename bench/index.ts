/**
 * `npm run bench`: the BFF as users run it (built `dist/`, `node`, production settings)
 * against the demo services and the dev IdP in a separate process, a real Redis, and a
 * hand-written baseline handler, all on loopback. See bench/README.md.
 *
 *   npm run bench                 3 rounds × 10 s per scenario
 *   npm run bench -- --quick      1 round × 3 s (or BENCH_QUICK=1)
 *   npm run bench -- --soak       10 minutes at 70 % of the measured maximum (npm run bench:soak)
 *
 * Options: --rounds N (each on fresh BFF processes unless --same-processes), --duration S,
 * --connections N, --soak-minutes M, --no-build,
 * --profile (CPU profile of the cache-off BFF under the dashboard load, top self time;
 * --profile-target on profiles the cache-on BFF instead), --compare KEY=VALUE (a third,
 * cache-off BFF with that setting, measured in the same rotation: an A/B in one run),
 * --compare-node-arg --flag[=value] (the same, with a node or V8 flag on its command line).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Agent } from 'undici';
import { freePort } from '../test/support/free-port.js';
import { startRedisServer } from '../test/support/redis-server.js';
import type { BaselineConfig } from './baseline/server.js';
import { writeBenchManifest } from './documents.js';
import { connectHeapProbe } from './lib/inspector.js';
import { runLoad, type LoadResult, type RequestSpec } from './lib/load.js';
import { FORWARDED, graphqlOnce, type LoopbackWorld, signIn } from './lib/login.js';
import { canPin, cleanUp, firstLine, onCleanup, pinSelf, rssMb, startChild, stopChild, tail } from './lib/processes.js';
import { summariseProfile } from './lib/profile.js';
import type { StandInsInput, StandInsReady } from './stand-ins.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';
const REVIEWS_SCOPE = 'reviews:read';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true' },
    soak: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '50' },
    'soak-minutes': { type: 'string', default: '10' },
    'no-build': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'profile-target': { type: 'string', default: 'off' },
    compare: { type: 'string', multiple: true },
    'compare-node-arg': { type: 'string', multiple: true },
    'compare-ref': { type: 'string' },
    'same-processes': { type: 'boolean', default: false },
  },
});
const bounded = (raw: string | undefined, fallback: number, min: number, max: number, name: string): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
};
const ROUNDS = bounded(args.rounds, args.quick ? 1 : 3, 1, 20, 'rounds');
const DURATION_S = bounded(args.duration, args.quick ? 3 : 10, 1, 120, 'duration');
const WARMUP_S = args.quick ? 2 : 5;
const CONNECTIONS = bounded(args.connections, 50, 1, 1000, 'connections');
const SOAK_MINUTES = bounded(args['soak-minutes'], 10, 1, 120, 'soak-minutes');
/** `--compare KEY=VALUE …`: the settings of the third BFF (cache off), or none. */
const COMPARE_NODE_ARGS: string[] = args['compare-node-arg'] ?? [];
for (const a of COMPARE_NODE_ARGS) {
  if (!/^--[a-z][a-z0-9-]*(=[^\s]+)?$/.test(a)) throw new Error(`--compare-node-arg takes one node or V8 flag (--name or --name=value), not ${JSON.stringify(a)}`);
}
/** `--compare-ref REF`: the third BFF is that git commit's build (a change's A/B against the unchanged code). */
const COMPARE_REF = args['compare-ref'];
if (COMPARE_REF !== undefined && !/^[\w./~^@{}-]+$/.test(COMPARE_REF)) throw new Error(`--compare-ref takes a git revision, not ${JSON.stringify(COMPARE_REF)}`);
const COMPARE: Record<string, string> | undefined = args.compare?.length || COMPARE_NODE_ARGS.length || COMPARE_REF
  ? Object.fromEntries(
      (args.compare ?? []).map((kv) => {
        const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(kv);
        if (!m) throw new Error(`--compare takes KEY=VALUE (a BFF setting), not ${JSON.stringify(kv)}`);
        return [m[1]!, m[2]!];
      }),
    )
  : undefined;
const COMPARE_LABEL = COMPARE
  ? [...(COMPARE_REF ? [`build of ${COMPARE_REF}`] : []), ...COMPARE_NODE_ARGS, ...Object.entries(COMPARE).map(([k, v]) => `${k}=${v}`)].join(' ')
  : '';

/** Where `--profile` leaves the `.cpuprofile` (kept: open it in Chrome DevTools or speedscope). */
const PROFILE_DIR = join(ROOT, 'bench/profiles');
const log = (line: string) => process.stdout.write(`${line}\n`);
const secret = () => randomBytes(32).toString('base64url');

function run(cmd: string, argv: string[], what: string): void {
  try {
    execFileSync(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new Error(`${what} failed`);
  }
}

/**
 * `--compare-ref`: a detached git worktree of `ref` in the temporary directory, sharing
 * this checkout's node_modules, built with the same `tsc`. Removed at clean-up.
 */
function buildRef(ref: string, tmp: string): string {
  const dir = join(tmp, 'compare-ref');
  log(`building ${ref} for --compare-ref…`);
  run('git', ['worktree', 'add', '--detach', '--quiet', dir, ref], `git worktree add ${ref}`);
  onCleanup(`worktree of ${ref}`, async () => {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
  });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  // Since the bundled build (scripts/build.ts): that commit's own build. Before it: tsc.
  if (existsSync(join(dir, 'scripts/build.ts'))) {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
    return dir;
  }
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: dir, stdio: ['ignore', 'inherit', 'ignore'] });
  } catch {
    // tsc emits despite type errors; an older commit may declare a package (or its types)
    // this checkout's node_modules no longer has. What was emitted still runs, or fails at start.
    if (!existsSync(join(dir, 'dist/main.js'))) throw new Error(`${ref} did not build`);
    log(`  tsc reported type errors for ${ref} (its dependencies differ from this checkout's?); running what it emitted`);
  }
  return dir;
}

/** A throw-away self-signed certificate for 127.0.0.1 and localhost, valid for a day. */
function makeCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=shop-bff bench',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

interface Bff {
  readonly name: string;
  /** The process running now (a restart replaces it). */
  readonly pid: number;
  /** http origin it listens on. */
  readonly url: string;
  /** https origin it is configured with. */
  readonly publicUrl: string;
  /** Spawn to ready of the first start. */
  readonly readyMs: number;
  /** Spawn to ready of every start, the first included. */
  readonly readyTimes: readonly number[];
  /** `performance.now()` at the latest spawn. */
  readonly startedAt: number;
  /** Stops it (SIGTERM: a clean exit, which is when `--cpu-prof` writes its profile). */
  readonly stop: () => Promise<void>;
  /**
   * Stops it and starts a fresh process with the same settings and port. Sessions live
   * in Redis and the secrets stay the same, so cookies signed in before stay valid.
   */
  readonly restart: () => Promise<void>;
}

/** Spawns `node dist/main.js` and times spawn → first 200 from /readyz (bounded: 20 s). */
async function startBff(
  name: string,
  port: number,
  env: Record<string, string>,
  cpu: number | undefined,
  logDir: string,
  nodeArgs: string[] = [],
  root: string = ROOT,
): Promise<Bff> {
  const logFile = join(logDir, `${name}.log`);
  const url = `http://${HOST}:${port}`;
  const spawnReady = async () => {
    const out = openSync(logFile, 'a');
    const started = performance.now();
    const child = startChild(name, process.execPath, [...nodeArgs, join(root, 'dist/main.js')], {
      cwd: root,
      env,
      stdio: ['ignore', out, out],
      ...(cpu === undefined ? {} : { cpu }),
    });
    const deadline = started + 20_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`${name} exited (${child.exitCode}) before it was ready:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      }
      try {
        const res = await fetch(`${url}/readyz`, { headers: FORWARDED });
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // Not listening yet.
      }
      if (performance.now() > deadline) throw new Error(`${name} not ready after 20 s:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return { child, started, readyMs: performance.now() - started };
  };
  let current = await spawnReady();
  const readyTimes = [current.readyMs];
  return {
    name,
    url,
    publicUrl: `https://${HOST}:${port}`,
    get pid() {
      return current.child.pid!;
    },
    readyMs: current.readyMs,
    readyTimes,
    get startedAt() {
      return current.started;
    },
    stop: () => stopChild(current.child),
    restart: async () => {
      await stopChild(current.child);
      current = await spawnReady();
      readyTimes.push(current.readyMs);
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Scenario {
  readonly name: string;
  readonly target: { url: string; pid: number };
  readonly requests: RequestSpec[];
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}

function summarise(results: LoadResult[]) {
  const m = (f: (r: LoadResult) => number) => median(results.map(f));
  const calls: Record<string, number> = {};
  for (const service of Object.keys(results[0]!.calls)) calls[service] = m((r) => r.calls[service] ?? 0);
  return {
    rps: m((r) => r.rps),
    p50: m((r) => r.p50),
    p99: m((r) => r.p99),
    cpu: m((r) => r.cpuMsPerRequest),
    busy: m((r) => r.coreBusyPct),
    calls: m((r) => r.callsPerRequest),
    callsBy: calls,
    rss: Math.max(...results.map((r) => r.rssPeakMb)),
    errors: results.reduce((s, r) => s + r.errors, 0),
    requests: results.reduce((s, r) => s + r.requests, 0),
  };
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'shop-bff-bench-'));
  onCleanup('temporary directory', () => rm(tmp, { recursive: true, force: true }));

  if (!args['no-build']) {
    log('building (npm run build)…');
    run('npm', ['run', '--silent', 'build'], 'npm run build');
  }

  const cores = availableParallelism();
  const pinned = canPin(cores);
  const bffCpu = pinned ? 0 : undefined;
  // Everything but the process under test (Redis, stand-ins, autocannon in this
  // process) on core 1; the BFF and the baseline on core 0.
  if (pinned) pinSelf(1);

  const { certFile, keyFile } = makeCertificate(tmp);
  const redis = await startRedisServer();
  onCleanup('redis-server', () => redis.stop());

  const ports = { warm: await freePort(HOST), cold: await freePort(HOST), compare: await freePort(HOST), inspect: await freePort(HOST) };
  const publicUrls = [`https://${HOST}:${ports.warm}`, `https://${HOST}:${ports.cold}`, ...(COMPARE ? [`https://${HOST}:${ports.compare}`] : [])];
  const secrets = {
    clientId: 'shop-bff-bench',
    clientSecret: secret(),
    catalogApiKey: secret(),
    paymentsSecretKey: secret(),
    sessionSecret: secret(),
    sessionEncryptionKey: secret(),
  };

  const standInsInput: StandInsInput = {
    certFile,
    keyFile,
    clientId: secrets.clientId,
    clientSecret: secrets.clientSecret,
    publicUrls,
    catalogApiKey: secrets.catalogApiKey,
    paymentsSecretKey: secrets.paymentsSecretKey,
    reviewsScope: REVIEWS_SCOPE,
    // Longer than any run: no token refresh inside a measurement.
    accessTokenTtlS: 3 * 3600,
  };
  const standIns = startChild('stand-ins', process.execPath, ['--import', 'tsx', join(ROOT, 'bench/stand-ins.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', NODE_EXTRA_CA_CERTS: certFile, BENCH_STAND_INS: JSON.stringify(standInsInput) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const standInsErr = tail(standIns.stderr);
  const ready = JSON.parse(await firstLine(standIns, 'stand-ins', 30_000, standInsErr)) as StandInsReady;
  const countsUrl = `${ready.control}/counts`;

  const documents = writeBenchManifest(join(tmp, 'trusted-documents.json'));
  const bffEnv = (port: number, publicUrl: string, extra: Record<string, string>): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    NODE_EXTRA_CA_CERTS: certFile,
    HOST,
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    // The bench plays the TLS-terminating proxy: http to the BFF, X-Forwarded-Proto: https.
    TRUST_PROXY_HOPS: '1',
    OIDC_ISSUER: ready.issuer,
    OIDC_CLIENT_ID: secrets.clientId,
    OIDC_CLIENT_SECRET: secrets.clientSecret,
    REDIS_URL: redis.url,
    SESSION_SECRET: secrets.sessionSecret,
    SESSION_ENCRYPTION_KEY: secrets.sessionEncryptionKey,
    CATALOG_URL: ready.urls.catalog,
    ORDERS_URL: ready.urls.orders,
    REVIEWS_URL: ready.urls.reviews,
    PAYMENTS_URL: ready.urls.payments,
    CATALOG_API_KEY: secrets.catalogApiKey,
    PAYMENTS_SECRET_KEY: secrets.paymentsSecretKey,
    REVIEWS_SCOPE,
    GRAPHQL_TRUSTED_DOCUMENTS_FILE: documents.file,
    // Raised, not off: the limiter's own work (a Redis round trip) stays in the measurement.
    RATE_LIMIT_SESSION_PER_MIN: '999999999',
    RATE_LIMIT_ANONYMOUS_PER_MIN: '999999999',
    RATE_LIMIT_LOGIN_PER_MIN: '999999999',
    ...extra,
  });

  // The soak reads the BFF's heap through the inspector (loopback only): a node flag, no change to src/.
  const profileCacheOn = args['profile-target'] === 'on';
  if (!['on', 'off'].includes(args['profile-target']!)) throw new Error('--profile-target must be on or off');
  const warmArgs = args.soak ? [`--inspect=${HOST}:${ports.inspect}`] : args.profile && profileCacheOn ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const warm = await startBff('bff-cache-on', ports.warm, bffEnv(ports.warm, publicUrls[0]!, {}), bffCpu, tmp, warmArgs);
  const cold = await startBff(
    'bff-cache-off',
    ports.cold,
    bffEnv(ports.cold, publicUrls[1]!, { DOWNSTREAM_CACHE_MAX_ENTRIES: '0' }),
    bffCpu,
    tmp,
    args.profile && !profileCacheOn ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
  );
  const other = COMPARE
    ? await startBff(
        'bff-cache-off-compare',
        ports.compare,
        bffEnv(ports.compare, publicUrls[2]!, { DOWNSTREAM_CACHE_MAX_ENTRIES: '0', ...COMPARE }),
        bffCpu,
        tmp,
        COMPARE_NODE_ARGS,
        COMPARE_REF ? buildRef(COMPARE_REF, tmp) : ROOT,
      )
    : undefined;
  const world: LoopbackWorld = {
    bffs: new Map([
      [warm.publicUrl, warm.url],
      [cold.publicUrl, cold.url],
      ...(other ? [[other.publicUrl, other.url] as [string, string]] : []),
    ]),
    dispatcher: new Agent({ connect: { ca: readFileSync(certFile, 'utf8') } }),
  };
  onCleanup('https agent', () => world.dispatcher.close());

  const alice = await signIn(world, warm.publicUrl, 'alice');
  const aliceCold = await signIn(world, cold.publicUrl, 'alice');
  const aliceOther = other ? await signIn(world, other.publicUrl, 'alice') : '';
  // The mutation signs in as bob: alice's orders (the dashboard's) stay as seeded.
  const bob = await signIn(world, warm.publicUrl, 'bob');

  const baselineConfig: BaselineConfig = {
    redisUrl: redis.url,
    sessionSecret: secrets.sessionSecret,
    sessionEncryptionKey: secrets.sessionEncryptionKey,
    cookieName: '__Host-shop.sid',
    ordersUrl: ready.urls.orders,
    catalogUrl: ready.urls.catalog,
    reviewsUrl: ready.urls.reviews,
    catalogApiKey: secrets.catalogApiKey,
    tokenEndpoint: `${ready.issuer}/token`,
    clientId: secrets.clientId,
    clientSecret: secrets.clientSecret,
    reviewsScope: REVIEWS_SCOPE,
  };
  const baselineProc = startChild('baseline', process.execPath, ['--import', 'tsx', join(ROOT, 'bench/baseline/server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', NODE_EXTRA_CA_CERTS: certFile, BASELINE_CONFIG: JSON.stringify(baselineConfig) },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(bffCpu === undefined ? {} : { cpu: bffCpu }),
  });
  const baselineErr = tail(baselineProc.stderr);
  const { port: baselinePort } = JSON.parse(await firstLine(baselineProc, 'baseline', 30_000, baselineErr)) as { port: number };
  const baseline = { url: `http://${HOST}:${baselinePort}`, pid: baselineProc.pid! };

  // --- the requests ---------------------------------------------------------------
  const gql = (bff: Bff, cookie: string | undefined, body: () => string): RequestSpec => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', origin: bff.publicUrl, ...FORWARDED, ...(cookie ? { cookie } : {}) },
    body,
  });
  const byName = (name: string) => {
    const id = documents.byName.get(name);
    if (!id) throw new Error(`the clients' manifest has no ${name} operation`);
    return id;
  };
  const dashboardBody = JSON.stringify({ documentId: documents.benchDashboard });
  const appDashboardBody = JSON.stringify({ documentId: byName('Dashboard') });
  const productId = byName('ProductPage');
  const placeOrderId = byName('PlaceOrder');
  let seq = 0;
  const runId = randomBytes(4).toString('hex');
  const productBody = () => JSON.stringify({ documentId: productId, variables: { id: `p${1 + (seq++ % 60)}` } });
  const uniqueProductBody = () => JSON.stringify({ documentId: productId, variables: { id: `p-${runId}-${seq++}` } });
  const placeOrderBody = () =>
    JSON.stringify({
      documentId: placeOrderId,
      variables: { input: { idempotencyKey: `bench-${runId}-${seq++}`, lines: [{ productId: `p${1 + (seq % 60)}`, quantity: 1 }] } },
    });

  // --- check that each target answers what it should, and the same JSON ------------
  const once = async (bff: Bff, body: string, cookie?: string) => {
    const r = await graphqlOnce(world, bff.publicUrl, JSON.parse(body), cookie);
    if (r.status !== 200 || !r.json.data || r.json.errors) throw new Error(`${bff.name}: ${body.slice(0, 80)} answered ${r.status}: ${r.text.slice(0, 400)}`);
    return r.json;
  };
  const fromBffWarm = await once(warm, dashboardBody, alice);
  const fromBffCold = await once(cold, dashboardBody, aliceCold);
  const baseRes = await fetch(baseline.url, { headers: { cookie: alice } });
  const fromBaseline = (await baseRes.json()) as unknown;
  if (baseRes.status !== 200) throw new Error(`baseline answered ${baseRes.status}: ${JSON.stringify(fromBaseline)}`);
  if (!isDeepStrictEqual(fromBaseline, fromBffWarm) || !isDeepStrictEqual(fromBaseline, fromBffCold)) {
    throw new Error(
      `the baseline's JSON differs from the BFF's:\nBFF:      ${JSON.stringify(fromBffWarm).slice(0, 600)}\nbaseline: ${JSON.stringify(fromBaseline).slice(0, 600)}`,
    );
  }
  if (other && !isDeepStrictEqual(fromBaseline, await once(other, dashboardBody, aliceOther))) {
    throw new Error(`the BFF with ${COMPARE_LABEL} answers other JSON than the baseline`);
  }
  await once(warm, appDashboardBody, alice);
  await once(warm, productBody());
  await once(warm, placeOrderBody(), bob);

  const dashboardOf = (bff: Bff, cookie: string): Scenario => ({
    name: `dashboard, BFF, ${bff === warm ? 'cache on' : 'cache off'}`,
    target: bff,
    requests: [gql(bff, cookie, () => dashboardBody)],
  });
  const baselineScenario: Scenario = {
    name: 'dashboard, baseline handler',
    target: baseline,
    requests: [{ method: 'GET', path: '/', headers: { cookie: alice } }],
  };
  const compared = [baselineScenario, dashboardOf(warm, alice), dashboardOf(cold, aliceCold)];
  const otherScenario: Scenario | undefined = other
    ? { name: `dashboard, BFF, cache off, ${COMPARE_LABEL}`, target: other, requests: [gql(other, aliceOther, () => dashboardBody)] }
    : undefined;
  if (otherScenario) compared.push(otherScenario);
  const others: Scenario[] = [
    { name: "Dashboard (the app's, with payments)", target: warm, requests: [gql(warm, alice, () => appDashboardBody)] },
    { name: 'ProductPage (public)', target: warm, requests: [gql(warm, undefined, productBody)] },
    { name: 'PlaceOrder (mutation)', target: warm, requests: [gql(warm, bob, placeOrderBody)] },
  ];

  const load = (s: Scenario, durationS: number, extra: { overallRate?: number; onMinute?: Parameters<typeof runLoad>[0]['onMinute'] } = {}) =>
    runLoad({ url: s.target.url, pid: s.target.pid, countsUrl, connections: CONNECTIONS, durationS, requests: s.requests, ...extra });

  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  log('');
  log(`machine: ${cores} cores (${cpuModel}), node ${process.version}; ${pinned ? 'BFF and baseline pinned to core 0, Redis, stand-ins and autocannon to core 1' : 'not pinned (no taskset or one core)'}`);
  log(`start to ready (spawn → first 200 from /readyz): cache on ${fmt(warm.readyMs)} ms, cache off ${fmt(cold.readyMs)} ms${other ? `, ${COMPARE_LABEL} ${fmt(other.readyMs)} ms` : ''}`);

  if (args.profile) {
    const s = compared[profileCacheOn ? 1 : 2]!;
    const target = profileCacheOn ? warm : cold;
    log(`profiling the cache-${profileCacheOn ? 'on' : 'off'} BFF (node --cpu-prof): warm-up ${WARMUP_S} s, then ${DURATION_S} s of the dashboard`);
    await load(s, WARMUP_S);
    const measuredFrom = performance.now() - target.startedAt;
    const r = await load(s, DURATION_S);
    log(`  ${fmt(r.rps)} req/s, ${fmt(r.cpuMsPerRequest, 2)} CPU ms/req under the profiler (its sampling costs a little)`);
    await target.stop();
    summariseProfile(PROFILE_DIR, ROOT, log, measuredFrom);
    return;
  }

  if (args.soak) return soak({ inspectPort: ports.inspect, warm, alice, bob, gql, appDashboardBody, dashboardBody, uniqueProductBody, placeOrderBody, load });

  log(`warming up (${WARMUP_S} s each)…`);
  for (const s of [...compared, ...others]) await load(s, WARMUP_S);

  log(`measuring: ${ROUNDS} round(s) × ${DURATION_S} s per scenario, ${CONNECTIONS} connections; baseline and BFF alternate`);
  const results = new Map<string, LoadResult[]>();
  const record = (s: Scenario, r: LoadResult) => results.set(s.name, [...(results.get(s.name) ?? []), r]);
  const bffs = [warm, cold, ...(other ? [other] : [])];
  for (let round = 0; round < ROUNDS; round++) {
    // Each round on fresh BFF processes: two processes of one build on this machine
    // differ by up to a quarter in CPU per request (an A/A run, bench/README.md), so a
    // median over processes says more than any one of them.
    if (round > 0 && !args['same-processes']) {
      for (const b of bffs) await b.restart();
      for (const s of [...compared, ...others]) if (s.target !== baseline) await load(s, WARMUP_S);
    }
    // Rotated each round, so no target always runs first (or right after another).
    const order = [...compared.slice(round % compared.length), ...compared.slice(0, round % compared.length)];
    for (const s of order) record(s, await load(s, DURATION_S));
    for (const s of others) record(s, await load(s, DURATION_S));
    log(`  round ${round + 1}/${ROUNDS} done`);
  }

  log('');
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'core %', 'calls/req', 'RSS MB', 'errors'];
  const rows: string[][] = [];
  const summary = new Map<string, ReturnType<typeof summarise>>();
  for (const s of [...compared, ...others]) {
    const r = summarise(results.get(s.name)!);
    summary.set(s.name, r);
    const by = Object.entries(r.callsBy)
      .filter(([, n]) => n >= 0.005)
      .map(([service, n]) => `${service} ${fmt(n, 2)}`)
      .join(', ');
    rows.push([s.name, fmt(r.rps), fmt(r.p50, 1), fmt(r.p99, 1), fmt(r.cpu, 2), fmt(r.busy), `${fmt(r.calls, 2)}${by ? ` (${by})` : ''}`, fmt(r.rss), `${r.errors}/${r.requests}`]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  log(line(header));
  for (const r of rows) log(line(r));

  const base = summary.get(baselineScenario.name)!;
  const on = summary.get(compared[1]!.name)!;
  const off = summary.get(compared[2]!.name)!;
  // The compared BFF is not the build as configured by default: not in the RSS verdict.
  const rssPeak = Math.max(...[...summary.entries()].filter(([name]) => !name.includes('baseline') && name !== otherScenario?.name).map(([, r]) => r.rss));
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  log('');
  log(`medians of ${ROUNDS} round(s); RSS is the peak seen under load. Targets (issue 9):`);
  log(`  cache off: BFF/baseline req/s ${fmt(off.rps / base.rps, 2)} (target ≥ 0.6: ${verdict(off.rps / base.rps >= 0.6)})`);
  log(`  cache on:  BFF/baseline req/s ${fmt(on.rps / base.rps, 2)} (target ≥ 1.0: ${verdict(on.rps / base.rps >= 1)})`);
  log(`  p99 BFF/baseline: cache on ${fmt(on.p99 / base.p99, 2)}, cache off ${fmt(off.p99 / base.p99, 2)} (target ≤ 2: ${verdict(Math.max(on.p99, off.p99) / base.p99 <= 2)})`);
  log(`  CPU per request BFF/baseline: cache on ${fmt(on.cpu / base.cpu, 1)}×, cache off ${fmt(off.cpu / base.cpu, 1)}×`);
  log(`  downstream calls per dashboard, cache off: ${fmt(off.calls, 2)} (target exactly 3: ${verdict(Math.abs(off.calls - 3) < 0.01)})`);
  log(`  BFF RSS peak under load: ${fmt(rssPeak)} MB (target < 250: ${verdict(rssPeak < 250)})`);
  const starts = [...warm.readyTimes, ...cold.readyTimes];
  log(`  start to ready: median ${fmt(median(starts))} ms, slowest ${fmt(Math.max(...starts))} ms of ${starts.length} starts (target < 1000: ${verdict(median(starts) < 1000)})`);
  if (otherScenario) {
    const o = summary.get(otherScenario.name)!;
    log(`  compared (cache off): default/${COMPARE_LABEL} req/s ${fmt(off.rps / o.rps, 2)}×, CPU ms/req ${fmt(off.cpu, 2)} vs ${fmt(o.cpu, 2)} (${fmt(o.cpu / off.cpu, 2)}× less with the default)`);
  }
  const errors = [...summary.values()].reduce((s, r) => s + r.errors, 0);
  if (errors > 0) log(`  ${errors} request(s) failed (connection errors, non-2xx or GraphQL errors): the figures above are suspect`);
}

interface SoakDeps {
  inspectPort: number;
  warm: Bff;
  alice: string;
  bob: string;
  gql: (bff: Bff, cookie: string | undefined, body: () => string) => RequestSpec;
  appDashboardBody: string;
  dashboardBody: string;
  uniqueProductBody: () => string;
  placeOrderBody: () => string;
  load: (s: Scenario, durationS: number, extra?: { overallRate?: number; onMinute?: Parameters<typeof runLoad>[0]['onMinute'] }) => Promise<LoadResult>;
}

/**
 * 10 minutes (or --soak-minutes) at 70 % of the measured maximum of a mix with unique
 * variables: the dashboard, a ProductPage with an id never asked before, and a
 * PlaceOrder with a fresh idempotency key, in turn on every connection.
 */
async function soak(d: SoakDeps): Promise<void> {
  const mix: Scenario = {
    name: 'soak mix',
    target: d.warm,
    requests: [d.gql(d.warm, d.alice, () => d.dashboardBody), d.gql(d.warm, undefined, d.uniqueProductBody), d.gql(d.warm, d.bob, d.placeOrderBody)],
  };
  log(`soak: measuring the mix's maximum (${WARMUP_S + DURATION_S} s)…`);
  await d.load(mix, WARMUP_S);
  const max = await d.load(mix, DURATION_S);
  const rate = Math.max(1, Math.round(max.rps * 0.7));
  log(`soak: maximum ${fmt(max.rps)} req/s (p99 ${fmt(max.p99, 1)} ms); now ${SOAK_MINUTES} min at ${rate} req/s (70 %)`);
  const probe = await connectHeapProbe(d.inspectPort);
  onCleanup('inspector connection', () => probe.close());
  const heapBefore = await probe.afterGc();
  log(`  heap: V8 heap used after a forced full GC, read through the inspector (node --inspect on loopback; no change to src/)`);
  log('  minute  req/s  p99 ms  errors  RSS MB  heap MB');
  const rssByMinute: number[] = [];
  const heapByMinute: number[] = [];
  const lines: Array<Promise<void>> = [];
  const startRss = rssMb(d.warm.pid);
  const result = await d.load(mix, SOAK_MINUTES * 60, {
    overallRate: rate,
    onMinute: (m) => {
      rssByMinute.push(m.rssMb);
      const line = probe
        .afterGc()
        .then((h) => h.usedMb)
        .catch(() => NaN)
        .then((heap) => {
          heapByMinute[m.minute - 1] = heap;
          log(`  ${String(m.minute).padStart(6)}  ${fmt(m.rps).padStart(5)}  ${fmt(m.p99, 1).padStart(6)}  ${String(m.errors).padStart(6)}  ${fmt(m.rssMb, 1).padStart(6)}  ${fmt(heap, 1).padStart(7)}`);
        });
      lines.push(line);
    },
  });
  await Promise.all(lines);
  const heapAfter = await probe.afterGc();
  // Growth after warm-up: from the end of minute 1 to the end, per minute.
  const growth = (xs: number[]) => (xs.length >= 3 ? (xs[xs.length - 1]! - xs[0]!) / (xs.length - 1) : NaN);
  const verdict = (g: number) => (Number.isFinite(g) ? (g < 1 ? 'met' : 'NOT met') : 'needs ≥ 3 minutes');
  const rssGrowth = growth(rssByMinute);
  const heapGrowth = growth(heapByMinute);
  log('');
  log(`soak: ${result.requests} requests, ${fmt(result.rps)} req/s, p99 ${fmt(result.p99, 1)} ms, errors ${result.errors} (non-2xx ${result.non2xx}, GraphQL ${result.graphqlErrors})`);
  log(`soak: RSS ${fmt(startRss, 1)} MB before, peak ${fmt(result.rssPeakMb, 1)} MB; growth after minute 1: ${fmt(rssGrowth, 2)} MB/min (target < 1: ${verdict(rssGrowth)})`);
  log(`soak: heap after full GC ${fmt(heapBefore.usedMb, 1)} MB before, ${fmt(heapAfter.usedMb, 1)} MB after; growth after minute 1: ${fmt(heapGrowth, 2)} MB/min (target < 1: ${verdict(heapGrowth)})`);
}

let exitCode = 0;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, cleaning up…\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}
try {
  await main();
} catch (err) {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);
