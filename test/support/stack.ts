import type { EventEmitter } from 'node:events';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { JWK } from 'oidc-provider';
import { Writable } from 'node:stream';
import type { CookieJar } from 'tough-cookie';
import { Agent, fetch as undiciFetch } from 'undici';
import type { App } from '../../src/app.js';
import { type RunningBff, startBff } from '../../src/bff.js';
import { type Config, DEMO, loadConfig, type ServiceName } from '../../src/config/index.js';
import { createDevIdp, type DevIdp } from '../../src/demo/dev-idp.js';
import { listen } from '../../src/demo/http.js';
import { startDemoServices } from '../../src/demo/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { urlSetting } from '../../src/services/definition.js';
import { SERVICES } from '../../src/services/registry.js';
import { freePort } from './free-port.js';
import { loginThroughIdp } from './oidc-login.js';
import { Recorder } from './recorder.js';
import { type RedisCluster, startRedisCluster } from './redis-cluster.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

export interface StackOptions {
  /**
   * Share sessions through a real redis-server (`true`), or a real three-primary Redis
   * Cluster (`'cluster'`, given to the instances as `REDIS_CLUSTER_NODES`). Default: the
   * memory store.
   */
  readonly redis?: boolean | 'cluster';
  /** With `redis: true`: an append-only redis-server that keeps its data across `redisServer.restart()`. */
  readonly redisPersistence?: boolean;
  /** How many BFF instances to start on the same Redis, IdP and services (default 1). */
  readonly instances?: number;
  /** Extra settings, as environment variables. An empty value unsets a stack default (e.g. `SESSION_ENCRYPTION_KEY: ''`). */
  readonly env?: Record<string, string>;
  /** Settings of single instances, by index, over `env` (e.g. one instance configured differently). */
  readonly instanceEnv?: readonly (Record<string, string> | undefined)[];
  /** Access token lifetime at the IdP (default: the IdP's). */
  readonly accessTokenTtlS?: number;
  /** The key the demo catalog accepts, read on every request (rotation tests). Default: the demo key. */
  readonly catalogApiKey?: () => string;
  /** The key the demo payments service accepts, likewise. */
  readonly paymentsSecretKey?: () => string;
  /**
   * Skip the leak check at close (only for suites that deliberately hand secrets to a
   * client-visible place, which none should).
   */
  readonly skipLeakCheck?: boolean;
  /** The private JWKs the dev IdP signs with (to forge or re-sign IdP tokens). Default: its own. */
  readonly idpSigningKeys?: JWK[];
  /** The rate limits' window in seconds (to see a limit reset quickly). Default: the app's (60). */
  readonly rateLimitWindowS?: number;
  /** Where every instance's spans go (startBff's `traceExporter`). Default: tracing off. */
  readonly traceExporter?: SpanExporter;
}

/** Every service's public demo secret (what the stand-ins accept unless a test rotates it). */
const DEMO_SECRETS: readonly string[] = SERVICES.flatMap((s) => ('demoValue' in s.credential ? [s.credential.demoValue] : []));

/** The BFF instances' clock for sessions and tokens: real time plus an offset tests move. */
export interface StackClock {
  now(): number;
  /** Moves every instance's clock forward (the IdP and Redis keep real time). */
  advance(ms: number): void;
  /** Back to real time. */
  reset(): void;
}

export interface BffInstance {
  readonly url: string;
  readonly app: App;
  readonly config: Config;
}

export interface GraphQLError {
  message: string;
  path?: Array<string | number>;
  extensions?: Record<string, any>;
}

export interface GraphQLResult {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: Record<string, any> | null; errors?: GraphQLError[] };
}

export type RecordedResponse = Response & { text_: string };

export interface Stack {
  readonly bff: BffInstance;
  readonly instances: readonly BffInstance[];
  readonly issuer: string;
  /** The dev IdP itself (oidc-provider), e.g. to listen to its events. */
  readonly idp: DevIdp;
  readonly recorder: Recorder;
  readonly urls: Record<ServiceName, string>;
  /** Every log line every BFF instance wrote, for the "no secret in a log line" checks. */
  readonly logLines: string[];
  /** Every response body and header set a test received through this stack. */
  readonly seen: string[];
  readonly redisUrl?: string;
  /** The redis-server of `redis: true` (to restart it). */
  readonly redisServer?: RedisServer;
  /** The cluster of `redis: 'cluster'`. */
  readonly redisCluster?: RedisCluster;
  /**
   * Stops instance `i` (as a SIGTERM would: it drains and closes) and starts a new one in
   * its place with the same settings, port and URL; resolves the new instance, also
   * found at `instances[i]` from then on.
   */
  restartInstance(i: number): Promise<BffInstance>;
  /** Every secret this stack uses, to assert that none of them ever shows up. */
  readonly secretValues: readonly string[];
  /** Every access, refresh and client-credentials token the IdP issued (opaque values). */
  readonly issuedTokens: ReadonlySet<string>;
  /** The clock of every BFF instance's sessions and tokens. */
  readonly clock: StackClock;
  /** Takes the IdP off the network (every connection dropped) or brings it back. */
  setIdpDown(down: boolean): void;
  /**
   * What leaked: every issued token, every credential a downstream received and every
   * secret, looked for in every response and header a test received and every log line;
   * plus anything shaped like a JWT (ID tokens). Empty when nothing leaked. The one
   * allowed place is the contract's `id_token_hint` in the logout redirect to the IdP.
   */
  leaks(): string[];
  /** Adds a value the app holds (a native app's session handle) to what `leaks` looks for. */
  watchForLeak(value: string): void;
  /** Signs in through the IdP's forms with a fresh cookie jar. */
  login(username: string, password?: string, instance?: BffInstance): Promise<CookieJar>;
  /** POSTs a GraphQL operation as a browser on our origin would. */
  graphql(
    query: string,
    opts?: { jar?: CookieJar; variables?: Record<string, unknown>; instance?: BffInstance; headers?: Record<string, string> },
  ): Promise<GraphQLResult>;
  /** fetch against an instance without following redirects, with the jar's cookies. */
  fetch(path: string, init?: RequestInit & { jar?: CookieJar; instance?: BffInstance }): Promise<RecordedResponse>;
  close(): Promise<void>;
}

/** The cookie-signing secret of the stack's instances (tests forge signed cookies with it). */
export const SESSION_SECRET = 'test-session-secret-0123456789abcdef';
/** The key the stack's instances encrypt stored tokens with (tests decrypt the store with it). */
export const SESSION_ENCRYPTION_KEY = 'test-encryption-key-0123456789abcdef';

/**
 * Starts the whole system on loopback the way production wires it, every part real:
 * the dev IdP (oidc-provider), the demo services recording every request, an optional
 * redis-server, and one or more BFF instances started by `startBff`, as main.ts starts it.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const recorder = new Recorder();
  const logLines: string[] = [];
  const seen: string[] = [];
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const instanceCount = opts.instances ?? 1;
  const ports = await Promise.all(Array.from({ length: instanceCount }, () => freePort()));
  const origins = ports.map((p) => `http://127.0.0.1:${p}`);

  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c();
  };

  try {
    // The IdP behind a switch, like a real one that can go away (see `setIdpDown`).
    let idpDown = false;
    let idpHandler: DevIdp['handler'] | undefined;
    const idpServer = await listen((req, res) => {
      if (idpDown || !idpHandler) return void req.socket.destroy();
      idpHandler(req, res);
    }, '127.0.0.1', 0);
    const devIdp = createDevIdp({
      issuer: idpServer.url,
      clients: [
        {
          clientId: DEMO.clientId,
          clientSecret: DEMO.clientSecret,
          redirectUris: origins.map((o) => `${o}/auth/callback`),
          postLogoutRedirectUris: origins.map((o) => `${o}/`),
          backchannelLogoutUri: `${origins[0]}/auth/backchannel-logout`,
        },
      ],
      ...(opts.accessTokenTtlS ? { accessTokenTtlS: opts.accessTokenTtlS } : {}),
      ...(opts.idpSigningKeys ? { signingKeys: opts.idpSigningKeys } : {}),
    });
    idpHandler = devIdp.handler;
    const idp = { issuer: idpServer.url, idp: devIdp, close: idpServer.close };
    cleanups.push(() => idp.close());
    const issuedTokens = new Set<string>();
    for (const event of ['access_token.saved', 'refresh_token.saved', 'client_credentials.saved'] as const) {
      // oidc-provider emits `<model>.saved` for every token (typings list only some events).
      (idp.idp.provider as unknown as EventEmitter).on(event, (token: { jti: string }) => issuedTokens.add(token.jti));
    }

    // Every service of the registry, started once and shared by the instances.
    const demo = await startDemoServices({
      issuer: idp.issuer,
      introspectionClient: idp.idp.resourceServer,
      secrets: {
        ...(opts.catalogApiKey ? { catalog: opts.catalogApiKey } : {}),
        ...(opts.paymentsSecretKey ? { payments: opts.paymentsSecretKey } : {}),
      },
      onRequest: (r) => recorder.record(r),
    });
    cleanups.push(() => demo.close());

    let redisUrl: string | undefined;
    let redisServer: RedisServer | undefined;
    let redisCluster: RedisCluster | undefined;
    if (opts.redis === 'cluster') {
      const cluster = await startRedisCluster();
      cleanups.push(() => cluster.stop());
      redisCluster = cluster;
    } else if (opts.redis) {
      const redis = await startRedisServer({ persistence: opts.redisPersistence ?? false });
      cleanups.push(() => redis.stop());
      redisUrl = redis.url;
      redisServer = redis;
    }

    const sharedEnv: Record<string, string> = {
      OIDC_ISSUER: idp.issuer,
      ...Object.fromEntries(SERVICES.map((s) => [urlSetting(s), demo.urls[s.name]!])),
      // Instances that share Redis must share these secrets, as in production.
      SESSION_SECRET,
      SESSION_ENCRYPTION_KEY,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      ...(redisCluster ? { REDIS_CLUSTER_NODES: redisCluster.urls.join(',') } : {}),
      // Suites sign in from one loopback address many times a minute, far above the
      // production default of 20; the rate-limit suite sets its own limits.
      RATE_LIMIT_LOGIN_PER_MIN: '10000',
      // Downstream and request timeouts only a hang reaches, so a loaded machine cannot fail a call; suites about timeouts set their own.
      DOWNSTREAM_TIMEOUT_MS: '30000', GRAPHQL_REQUEST_BUDGET_MS: '60000',
      ...opts.env,
    };

    const sink = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk));
        cb();
      },
    });
    let offsetMs = 0;
    const clock: StackClock = {
      now: () => Date.now() + offsetMs,
      advance: (ms) => {
        offsetMs += ms;
      },
      reset: () => {
        offsetMs = 0;
      },
    };
    const instances: BffInstance[] = [];
    const running: RunningBff[] = [];
    /** Starts instance `i` on its port, composed exactly as main.ts composes it. */
    const startInstance = async (i: number): Promise<BffInstance> => {
      const config = loadConfig({ ...sharedEnv, ...opts.instanceEnv?.[i], PORT: String(ports[i]), PUBLIC_URL: origins[i]! });
      const logger = createLogger({ level: 'debug', destination: sink }).child({ instance: i });
      // The URLs come from the parsed settings, as in production, so a test can point one
      // service elsewhere; so does Redis, connected as startBff would connect it.
      const bff = await startBff(config, {
        logger,
        now: clock.now,
        ...(opts.rateLimitWindowS ? { rateLimitWindowS: opts.rateLimitWindowS } : {}),
        ...(opts.traceExporter ? { traceExporter: opts.traceExporter } : {}),
      });
      running[i] = bff;
      instances[i] = { url: origins[i]!, app: bff.app, config };
      return instances[i]!;
    };
    for (const i of ports.keys()) await startInstance(i);
    cleanups.push(async () => {
      for (const bff of running) await bff?.close();
    });
    const restartInstance = async (i: number): Promise<BffInstance> => {
      await running[i]!.close();
      return startInstance(i);
    };

    // The stack's own connection pool, closed with it: with the process-wide one, a
    // keep-alive socket to an earlier stack's port (ports are reused within a jest
    // worker) could be picked for this stack's first request and fail "other side closed".
    const agent = new Agent();
    cleanups.push(() => agent.close());
    const stackFetch: Stack['fetch'] = async (path, init = {}) => {
      const { jar, instance = instances[0]!, ...rest } = init;
      const url = `${instance.url}${path}`;
      const headers = new Headers(rest.headers);
      if (jar) {
        const cookie = await jar.getCookieString(url);
        if (cookie) headers.set('cookie', cookie);
      }
      const res = (await undiciFetch(url, { redirect: 'manual', ...(rest as object), headers: [...headers], dispatcher: agent })) as unknown as Response;
      if (jar) for (const c of res.headers.getSetCookie()) await jar.setCookie(c, url);
      const text = await res.text();
      seen.push(text, JSON.stringify([...res.headers].filter(([name, value]) => !isLogoutHint(name, value))));
      return Object.assign(res, { text_: text });
    };

    // The contract sends the ID token to the IdP's end-session endpoint as id_token_hint,
    // through the browser: the one place a token may appear in a header we send.
    const endSession = `${idp.issuer}/session/end`;
    function isLogoutHint(name: string, value: string): boolean {
      return name === 'location' && value.startsWith(`${endSession}?`);
    }
    const secretValues = [DEMO.clientSecret, ...DEMO_SECRETS, SESSION_SECRET, SESSION_ENCRYPTION_KEY];
    const watched = new Set<string>();
    const leaks = (): string[] => {
      const received = recorder.all
        .flatMap((c) => [c.headers.authorization, c.headers['x-api-key']])
        .filter((v): v is string => typeof v === 'string')
        .map((v) => v.replace(/^Bearer /, ''));
      const needles = new Set([...issuedTokens, ...received, ...secretValues, ...watched]);
      const found: string[] = [];
      const haystacks = [...seen.map((text) => ['a response', text] as const), ...logLines.map((text) => ['a log line', text] as const)];
      for (const [where, text] of haystacks) {
        for (const needle of needles) {
          if (needle.length >= 8 && text.includes(needle)) found.push(`${needle.slice(0, 4)}… in ${where}: ${text.slice(0, 160)}`);
        }
        const jwt = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]+/.exec(text);
        if (jwt) found.push(`a JWT in ${where}: ${text.slice(0, 160)}`);
      }
      return found;
    };

    return {
      bff: instances[0]!,
      instances,
      issuer: idp.issuer,
      idp: idp.idp,
      issuedTokens,
      clock,
      setIdpDown: (down) => {
        idpDown = down;
      },
      leaks,
      watchForLeak: (value) => void watched.add(value),
      recorder,
      urls: demo.urls as Record<ServiceName, string>,
      logLines,
      seen,
      redisUrl,
      redisServer,
      redisCluster,
      restartInstance,
      secretValues,
      async login(username, password = username, instance = instances[0]!) {
        const result = await loginThroughIdp({ startUrl: `${instance.url}/auth/login?returnTo=/`, username, password });
        for (const r of result.responses) {
          seen.push(r.body, JSON.stringify([...r.headers].filter(([name, value]) => !isLogoutHint(name, value))));
        }
        return result.jar;
      },
      async graphql(query, { jar, variables, instance, headers } = {}) {
        const target = instance ?? instances[0]!;
        const res = await stackFetch('/graphql', {
          method: 'POST',
          jar,
          instance: target,
          headers: { 'content-type': 'application/json', origin: target.url, ...headers },
          body: JSON.stringify({ query, variables }),
        });
        let body: GraphQLResult['body'] = {};
        try {
          body = JSON.parse(res.text_);
        } catch {
          // Left empty: the test asserts on status and text.
        }
        return { status: res.status, headers: res.headers, text: res.text_, body };
      },
      fetch: stackFetch,
      async close() {
        await closeAll();
        // Every suite built on the stack checks, at the end, that nothing leaked.
        const found = opts.skipLeakCheck ? [] : leaks();
        if (found.length > 0) throw new Error(`secrets leaked:\n${found.join('\n')}`);
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
