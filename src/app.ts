import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { GraphQLSchema } from 'graphql';
import {
  createAuthRouter,
  createClientCredentialsToken,
  createOidcClient,
  createTokenRefresher,
  createUserCredential,
  type OidcClient,
  type TokenRefresher,
  viewerFromRequest,
} from './auth/index.js';
import { sessionChannelGuard, sessionHandleLoader } from './auth/mobile/session-handle.js';
import { originGuard } from './auth/origin-guard.js';
import type { Config } from './config/index.js';
import { DownstreamCallBudget } from './downstream/index.js';
import { sendError, sendErrorFor } from './lib/error-response.js';
import { createRateLimits } from './limits/rate-limits.js';
import type { GraphQLContext } from './graphql/context.js';
import { createSchema } from './graphql/schema.js';
import { EXPLORER_PATH, explorerRouter } from './graphql/explorer.js';
import { createGraphQLServer } from './graphql/server.js';
import { openTrustedDocumentStore, trustedDocumentsMiddleware } from './graphql/trusted-documents/index.js';
import type { Tracer } from '@opentelemetry/api';
import { accessLog, type RequestNotes } from './observability/access-log.js';
import { lazyChild } from './observability/logger.js';
import { healthRoutes, secretFreshnessChecks } from './observability/health.js';
import { createMetrics, metricsEndpoint, metricsMiddleware } from './observability/metrics.js';
import { publicMetricsAccess } from './observability/metrics-access.js';
import { requestId } from './observability/request-id.js';
import { traceContext } from './observability/trace-context.js';
import type { SecretSource } from './secrets/index.js';
import { BFF_PATHS, createWebApp } from './web/index.js';
import { createDownstreamClients } from './services/clients.js';
import type { ServiceClient } from './services/definition.js';
import { createLoaders } from './services/loaders.js';
import { type AnyService, type DownstreamClients, SERVICES } from './services/registry.js';
import {
  createLock,
  createMemoryState,
  createRedisState,
  createSessionMiddleware,
  createSessionStore,
  createTokenCheck,
  createTokenCrypto,
  createTokenVault,
  pingSharedRedis,
  type SharedRedis,
  SESSION_RETRY_AFTER_S,
  SESSION_STORE_UNAVAILABLE,
  SESSION_STORE_UNAVAILABLE_MESSAGE,
  type SessionStore,
  SessionUnavailableError,
  type TokenCrypto,
} from './session/index.js';

/** The live secrets the app needs; opened once at start-up (see `src/secrets`). */
export interface AppSecrets {
  readonly oidcClientSecret: SecretSource;
  readonly sessionSecret: SecretSource;
  readonly sessionEncryptionKey: SecretSource;
  /** `METRICS_TOKEN`, when configured: required for `/metrics` on the public port. */
  readonly metricsToken?: SecretSource | undefined;
  /** `REDIS_PASSWORD`, when configured: sent when the Redis client (re)connects (bff.ts). */
  readonly redisPassword?: SecretSource | undefined;
  /** The secret of each service whose credential is one (`CATALOG_API_KEY`, …), by service name. */
  readonly downstream: Readonly<Record<string, SecretSource>>;
}

export interface AppDeps {
  readonly logger: Logger;
  readonly secrets: AppSecrets;
  /** Downstream base URLs, by service name: from config, or the demo stand-ins (see bff.ts). */
  readonly urls: Readonly<Record<string, string>>;
  /** The downstream services. Default `SERVICES` (the registry); a test adds one. */
  readonly services?: readonly AnyService[];
  /** The executable schema. Default `createSchema()` (schema/ and the resolvers); a test extends it. */
  readonly schema?: GraphQLSchema;
  /** The OIDC issuer: from config, or the embedded dev IdP. */
  readonly issuer: string;
  /** A connected node-redis client (one server, a cluster or Sentinel) when Redis is configured; the memory store otherwise. */
  readonly redis?: SharedRedis;
  /** The embedded development IdP, mounted at `path` (zero-config start only). */
  readonly devIdp?: {
    readonly path: string;
    readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  };
  /** Clock of sessions and tokens (timeouts, token expiry), epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Window of the rate limits in seconds; tests shorten it to see a limit reset. Default `60`. */
  readonly rateLimitWindowS?: number;
  /**
   * The tracer of the BFF's own spans (one per downstream call, its context sent as
   * `traceparent`). Default: none: no spans, no trace header, nothing per request.
   */
  readonly tracer?: Tracer;
}

export interface App {
  readonly app: Express;
  /** Created, never listening: `startBff` (bff.ts) calls `listen`. */
  readonly httpServer: Server;
  /** Serves only `GET /metrics`, unauthenticated: for the `METRICS_PORT` listener on the internal network. */
  readonly metricsApp: Express;
  readonly oidc: OidcClient;
  readonly clients: DownstreamClients;
  /** The session store (Redis or memory) the session middleware reads and writes; an operator's tool or a test inspects sessions through it. */
  readonly sessions: SessionStore;
  /** Seals and opens the tokens kept in a session (`SESSION_ENCRYPTION_KEY`). */
  readonly crypto: TokenCrypto;
  /** Refreshes users' tokens under the shared lock; what every request's user credential refreshes through. */
  readonly refresher: TokenRefresher;
  /**
   * From now on `/readyz` answers 503 (`shutting-down`), so a load balancer stops sending
   * new requests while the server drains.
   */
  beginShutdown(): void;
  /**
   * Drains the HTTP server (Apollo's drain plugin: no new connections, idle ones closed,
   * requests in flight finish), stops Apollo and closes the downstream pools.
   */
  close(): Promise<void>;
}

/** Largest GraphQL request body; real operations are a few KB, trusted documents less. */
const GRAPHQL_BODY_LIMIT = '100kb';

/**
 * Composes the BFF. The order of the middleware is the request path of DESIGN.md:
 * request id, security headers, Origin checks, cheap endpoints that need no session,
 * then the session, the auth routes and GraphQL.
 */
export async function createApp(config: Config, deps: AppDeps): Promise<App> {
  const { logger, secrets } = deps;
  const now = deps.now ?? Date.now;
  // First, before anything that would need closing: under enforce, an unusable manifest
  // stops start-up here with an error naming the file.
  const trustedDocuments = openTrustedDocumentStore({ ...config.trustedDocuments, logger, production: config.production });
  const app = express();
  app.disable('x-powered-by');
  // Express hashes every body it sends (SHA-1) for an ETag; nothing the BFF answers through
  // it is cacheable (GraphQL and auth answers are `no-store`), and the web app's files
  // carry their own validators (express.static), so that is a wasted hash per request.
  app.set('etag', false);
  app.set('trust proxy', config.server.trustProxyHops);

  const services = deps.services ?? SERVICES;
  const metrics = createMetrics();
  let shuttingDown = false;
  app.use(requestId());
  app.use(accessLog(logger));
  if (deps.tracer) app.use(traceContext());
  app.use(metricsMiddleware(metrics));

  // The dev IdP serves its own pages and cookies; it sits outside the BFF's policies.
  if (deps.devIdp) app.use(deps.devIdp.path, deps.devIdp.handler);

  // The self-hosted explorer carries its own CSP (scripts and workers from this origin only).
  if (config.graphql.sandbox) app.use(EXPLORER_PATH, explorerRouter());

  // JSON endpoints and our own pages get a CSP that allows nothing. The Sandbox page on
  // GET /graphql (outside production) carries Apollo's own nonce-based CSP, which a
  // second, stricter header would break, so helmet leaves CSP to that page there.
  const strict = helmet({ contentSecurityPolicy: { directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } } });
  const sandboxPage = helmet({ contentSecurityPolicy: false });
  app.use((req, res, next) =>
    (config.graphql.sandbox && req.method === 'GET' && req.path === '/graphql' ? sandboxPage : strict)(req, res, next),
  );
  app.use(
    cors({
      // Only our origins, with credentials; never `*` (browsers would refuse it anyway).
      origin: (origin, cb) => cb(null, origin !== undefined && config.server.allowedOrigins.includes(origin)),
      credentials: true,
      maxAge: 600,
    }),
  );
  app.use(originGuard(config.server.allowedOrigins));

  const oidc = createOidcClient({
    issuer: deps.issuer,
    clientId: config.oidc.clientId,
    clientSecret: secrets.oidcClientSecret,
    tokenAuthMethod: config.oidc.tokenAuthMethod,
    allowInsecure: config.oidc.allowInsecureIssuer,
    logger,
    now,
    timeoutMs: config.oidc.timeoutMs,
  });
  // Discovery starts now, while the rest of start-up runs, rather than on the first
  // /readyz or sign-in: the BFF is ready one IdP round trip sooner (issue 9's start to
  // ready). A failure is logged and retried on next use, as before.
  oidc.ready().catch(() => {});

  app.use(
    healthRoutes([
      {
        name: 'session-store',
        check: async () => {
          if (deps.redis) await pingSharedRedis(deps.redis);
        },
      },
      { name: 'identity-provider', check: () => oidc.ready() },
      ...secretFreshnessChecks(
        [secrets.oidcClientSecret, secrets.sessionSecret, secrets.sessionEncryptionKey, secrets.metricsToken, ...Object.values(secrets.downstream)],
        config.secretManager.maxAgeMs,
        now,
      ),
    ], { shuttingDown: () => shuttingDown }),
  );
  if (config.metrics.token && !secrets.metricsToken) throw new Error('METRICS_TOKEN is configured but was not opened');
  app.get('/metrics', publicMetricsAccess({ production: config.production, token: secrets.metricsToken }), metricsEndpoint(metrics));
  // The shop's web app at `/` (src/web/): its hashed assets need no session, so here;
  // its shell comes last, after everything the BFF serves itself.
  const web = createWebApp({
    distDir: config.web.distDir,
    bffPaths: deps.devIdp ? [...BFF_PATHS, deps.devIdp.path] : BFF_PATHS,
    logger,
  });
  app.use(web.assets);

  // Before the session middleware: a refused sign-in costs no session read, and nothing
  // over a limit reaches the IdP. The API limit needs the session, so it comes after it.
  const rateLimits = createRateLimits({
    config: config.rateLimits,
    redis: deps.redis,
    logger,
    onLimited: (limit) => metrics.rateLimited.inc({ limit }),
    ...(deps.rateLimitWindowS ? { windowS: deps.rateLimitWindowS } : {}),
  });
  app.use(['/auth/login', '/auth/callback', '/auth/mobile/login', '/auth/mobile/token'], rateLimits.login);

  // Sessions, the sid/sub index, refresh locks and used logout tokens live in the shared
  // state: Redis, so every instance sees the same, or process memory for one instance.
  const state = deps.redis ? createRedisState(deps.redis) : createMemoryState({ now });
  const crypto = createTokenCrypto(secrets.sessionEncryptionKey);
  const sessions = createSessionStore(deps.redis ? { redis: deps.redis, now } : { state, now });
  const refresher = createTokenRefresher({
    oidc,
    logger,
    vault: createTokenVault({ store: sessions, crypto }),
    lock: createLock({ state }),
    events: metrics.auth,
  });
  // A native app's `Authorization: Bearer <handle>` names its session on the endpoints
  // apps call (contracts/mobile-sign-in.md); the session middleware then leaves it be.
  if (config.mobile.apps.size > 0) {
    app.use(['/graphql', '/auth/user', '/auth/mobile/logout'], sessionHandleLoader({ config, store: sessions, logger }));
  }
  app.use(
    createSessionMiddleware({
      config,
      store: sessions,
      secret: secrets.sessionSecret,
      now,
      // A tampered entry is no session anywhere; one sealed with a key this instance
      // lacks is a configuration error, refused here but kept for the other instances.
      tokensIntact: createTokenCheck({ crypto, logger, explicitKey: config.session.encryptionKey !== undefined, now }),
      onStoreError: (err) =>
        logger.error({ component: 'session', err: { message: (err as Error)?.message } }, 'session store failed; answering 503'),
    }),
  );
  app.use(sessionChannelGuard());
  app.use(['/graphql', '/auth/user'], rateLimits.api);
  app.use(
    '/auth',
    createAuthRouter({
      config,
      oidc,
      crypto,
      sessions,
      state,
      logger,
      now,
      revokeTimeoutMs: config.oidc.revokeTimeoutMs,
      events: metrics.auth,
    }),
  );

  const clients = createDownstreamClients({
    services,
    config: config.downstream,
    urls: deps.urls,
    secrets: secrets.downstream,
    clientCredentials: (scope) => createClientCredentialsToken({ oidc, scope, logger }),
    logger,
    cache: config.responseCache.maxEntries === 0 ? false : { maxEntries: config.responseCache.maxEntries },
    telemetry: (service) => ({ observer: metrics.downstream(service), tracer: deps.tracer }),
  });
  metrics.watchDownstream(() => clients as unknown as Record<string, ServiceClient>);

  const httpServer = createHttpServer(app, config.serverTimeouts);
  const apollo = createGraphQLServer({
    schema: deps.schema ?? createSchema(),
    config,
    httpServer,
    services,
    operationMetrics: { metrics: metrics.graphql, operationNames: () => trustedDocuments.current().operationNames },
  });
  await apollo.start();
  app.use(
    '/graphql',
    express.json({ limit: GRAPHQL_BODY_LIMIT }),
    // No shared or browser cache may keep a GraphQL answer: they carry the user's data.
    // (Apollo's cache-control plugin, which said the same, is off: see graphql/server.ts.)
    noStore,
    // Before Apollo: a refused document is never parsed, and an id becomes its listed text.
    trustedDocumentsMiddleware({ store: trustedDocuments, mode: config.trustedDocuments.mode, logger }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GraphQLContext> => {
        const notes = res.locals as RequestNotes;
        const requestId = notes.requestId!;
        const viewer = viewerFromRequest(req);
        const user = viewer ? createUserCredential(req, { crypto, config, logger, refresher, now }) : null;
        const call = {
          requestId,
          deadline: Date.now() + config.graphql.requestBudgetMs,
          callLimit: new DownstreamCallBudget(config.operationLimits.maxDownstreamCalls),
          trace: notes.traceContext,
        };
        return {
          logger: lazyChild(logger, { requestId }),
          viewer,
          user,
          call,
          loaders: createLoaders(clients as unknown as Record<string, ServiceClient>, { user, call }, services),
          services: clients,
          access: notes,
        };
      },
    }),
  );

  app.use(web.shell);
  app.use((_req, res) => {
    sendError(res, 404, 'NOT_FOUND', 'No such endpoint.');
  });
  app.use(jsonErrorHandler(logger));

  const metricsApp = express();
  metricsApp.disable('x-powered-by');
  metricsApp.get('/metrics', metricsEndpoint(metrics));
  metricsApp.use((_req, res) => {
    sendError(res, 404, 'NOT_FOUND', 'Only /metrics is served here.');
  });
  return {
    app,
    httpServer,
    metricsApp,
    oidc,
    clients,
    sessions,
    crypto,
    refresher,
    beginShutdown: () => {
      shuttingDown = true;
    },
    close: async () => {
      shuttingDown = true;
      // Drains the HTTP server first (ApolloServerPluginDrainHttpServer), then stops Apollo.
      await apollo.stop();
      await clients.close();
      trustedDocuments.close();
    },
  };
}

/**
 * The HTTP server with the configured timeouts. Node checks the headers and request
 * timeouts only every `connectionsCheckingInterval` (30 s by default), so a client that
 * trickles its headers would keep its connection for up to 30 s past the timeout; the
 * interval here is a tenth of the headers timeout, at most one second.
 */
export function createHttpServer(app: Express, t: Config['serverTimeouts']): Server {
  return createServer(
    {
      headersTimeout: t.headersTimeoutMs,
      requestTimeout: t.requestTimeoutMs,
      keepAliveTimeout: t.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(t.headersTimeoutMs / 10))),
    },
    app,
  );
}

const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

/**
 * Last resort for errors outside GraphQL (a body too large, malformed JSON): a coded
 * JSON answer with no internals; the details go to the log with the request id.
 */
function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof SessionUnavailableError) {
      res.set('Retry-After', String(SESSION_RETRY_AFTER_S));
      res.set('Cache-Control', 'no-store');
      return sendErrorFor(req, res, 503, SESSION_STORE_UNAVAILABLE, SESSION_STORE_UNAVAILABLE_MESSAGE);
    }
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status >= 500) logger.error({ err, requestId: res.locals.requestId }, 'unhandled error');
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    const message =
      status === 413
        ? 'The request body is too large.'
        : status < 500
          ? 'The request is malformed.'
          : 'Internal server error.';
    sendErrorFor(req, res, status, code, message);
  };
}
