import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ClientMetadata, type Configuration, type JWK, Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { createMemoryAdapterFactory } from './dev-idp-adapter.js';
import { createInteractionHandler, INTERACTION_PREFIX, mountPathOf } from './dev-idp-interactions.js';
import { findDemoUserBySub } from './demo-users.js';
import { htmlSafe, page } from './html.js';
import { listen } from './http.js';

export { DEMO_USERS, type DemoUser } from './demo-users.js';

/** A first-party client of the dev IdP (the BFF, or a test's own relying party). */
export interface DevIdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Where OpenID Connect Back-Channel Logout tokens are POSTed; none when omitted. */
  backchannelLogoutUri?: string;
  /**
   * How the client authenticates at the token endpoint. Default `client_secret_basic`.
   * Note: oidc-provider accepts either secret method from any client that has a secret,
   * so a relying party sending the other one is not refused here (real IdPs may refuse).
   */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

export interface DevIdpOptions {
  /** The issuer identifier; its path must be where `handler` is mounted (e.g. `http://localhost:4000/dev-idp`). */
  issuer: string;
  clients: DevIdpClient[];
  /** Lifetime of access tokens (user and client-credentials), in seconds. Default 300. */
  accessTokenTtlS?: number;
  /** Lifetime of refresh tokens, grants and IdP sessions, in seconds. Default 14 days. */
  refreshTokenTtlS?: number;
  /** Scopes clients may ask with the client-credentials grant. Default `['reviews:read']`. */
  clientCredentialsScopes?: string[];
  /** Logs sign-ins and protocol errors (never tokens). Default: silent. */
  logger?: Logger;
  /**
   * The private JWKs the IdP signs with (ID tokens, logout tokens). Default: a fresh RS256
   * key per instance. Tests pass their own to sign tokens the BFF must treat as the IdP's.
   */
  signingKeys?: JWK[];
}

export interface DevIdp {
  provider: Provider;
  /** Node (req, res) handler: the interaction pages, then `provider.callback()`. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Credentials of the demo resource server (it introspects tokens). Random per instance. */
  resourceServer: { clientId: string; clientSecret: string };
}

const DEFAULT_ACCESS_TOKEN_TTL_S = 300;
const DEFAULT_REFRESH_TOKEN_TTL_S = 14 * 24 * 60 * 60;
const RESOURCE_SERVER_CLIENT_ID = 'demo-resource-server';
const USER_SCOPES = ['openid', 'offline_access', 'profile', 'email'];

/**
 * The development identity provider: a real OpenID Connect provider (oidc-provider) with
 * the demo users, for `npm start` without settings and for tests. Never for production:
 * plain-http issuers, public passwords, in-memory state, keys that die with the process.
 *
 * Mounting: `app.use('/dev-idp', idp.handler)` with issuer `http://host/dev-idp`. Express
 * strips the prefix from `req.url`; oidc-provider rebuilds its endpoint URLs from
 * `req.originalUrl` and the Host header, and the interaction pages do the same.
 */
export function createDevIdp(opts: DevIdpOptions): DevIdp {
  const accessTokenTtl = opts.accessTokenTtlS ?? DEFAULT_ACCESS_TOKEN_TTL_S;
  const refreshTokenTtl = opts.refreshTokenTtlS ?? DEFAULT_REFRESH_TOKEN_TTL_S;
  const ccScopes = opts.clientCredentialsScopes ?? ['reviews:read'];
  const logger = opts.logger;
  const resourceServer = {
    clientId: RESOURCE_SERVER_CLIENT_ID,
    clientSecret: randomBytes(24).toString('base64url'),
  };

  const clients: ClientMetadata[] = opts.clients.map((c) => ({
    client_id: c.clientId,
    client_secret: c.clientSecret,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? 'client_secret_basic',
    scope: [...USER_SCOPES, ...ccScopes].join(' '),
    ...(c.backchannelLogoutUri
      ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
  }));
  // A resource server only introspects: no grant, no redirect (oidc-provider FAQ).
  clients.push({
    client_id: resourceServer.clientId,
    client_secret: resourceServer.clientSecret,
    response_types: [],
    grant_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });

  const configuration: Configuration = {
    adapter: createMemoryAdapterFactory(),
    clients,
    // Authorization code only: no token ever travels through the browser.
    responseTypes: ['code'],
    findAccount: async (_ctx, sub) => {
      const user = findDemoUserBySub(sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        claims: async () => ({
          sub: user.sub,
          name: user.name,
          preferred_username: user.username,
          email: user.email,
          email_verified: true,
        }),
      };
    },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    scopes: [...USER_SCOPES, ...ccScopes],
    // Scope-requested claims (name, email) also go into the ID token, so a relying party
    // has them without a userinfo call. Real providers differ; the BFF must not rely on it.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The demo resource server introspects any token; a client only its own.
        allowedPolicy: async (_ctx, client, token) =>
          client.clientId === resourceServer.clientId || client.clientId === token.clientId,
      },
      revocation: {
        enabled: true,
        // A client revokes only its own tokens; others are told nothing (RFC 7009 allows 200).
        allowedPolicy: async (_ctx, client, token) => client.clientId === token.clientId,
      },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          // `logout=yes` ends the whole IdP session (every client, back-channel to each),
          // which is what "sign out" means here. A plain form post confirms it.
          const confirm = form.replace(
            '</form>',
            '<input type="hidden" name="logout" value="yes"/><button type="submit">Sign out</button></form>',
          );
          ctx.type = 'html';
          ctx.body = page('Sign out', `<p>Sign out of the development identity provider?</p>${confirm}`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
    pkce: { required: () => true },
    // oidc-provider (following OIDC Core 11) drops `offline_access` unless the request
    // also says `prompt=consent`. Relying parties commonly do not, and the big providers
    // issue refresh tokens anyway; so does this one for the code grant. Such refresh
    // tokens end with the IdP session (oidc-provider's `expiresWithSession` default).
    issueRefreshToken: async (_ctx, client, source) =>
      client.grantTypeAllowed('refresh_token') &&
      (source.scopes.has('offline_access') || source.kind === 'AuthorizationCode'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: refreshTokenTtl,
      Grant: refreshTokenTtl,
      Session: refreshTokenTtl,
    },
    interactions: {
      url: async (ctx, interaction) => `${mountPathOf(ctx.req)}${INTERACTION_PREFIX}${interaction.uid}`,
    },
    cookies: {
      // Distinct names: when mounted inside the BFF these share its host and paths.
      names: { session: 'dev_idp_session', interaction: 'dev_idp_interaction', resume: 'dev_idp_resume' },
      // Scoped to the mount path so the BFF's own requests do not carry the IdP session.
      // (Only `long`: oidc-provider sets the short-lived cookies' paths itself.)
      long: { httpOnly: true, sameSite: 'lax', path: new URL(opts.issuer).pathname.replace(/\/+$/, '') || '/' },
      keys: [randomBytes(32).toString('base64url')],
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      const rows = Object.entries(out)
        .map(([k, v]) => `<p><strong>${htmlSafe(k)}</strong>: ${htmlSafe(v)}</p>`)
        .join('');
      ctx.body = page('Sign-in error', rows);
    },
    jwks: { keys: opts.signingKeys ?? [signingKey()] },
    // The only outgoing calls are back-channel logouts to the statically configured
    // clients, which in dev and tests live on loopback. oidc-provider's default adds an
    // SSRF guard that drops connections to loopback addresses (once undici's global
    // dispatcher exists), which would silently break back-channel logout to the BFF.
    fetch: (url, init) => {
      const { dispatcher: _ssrfGuard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
  };

  const provider = new Provider(opts.issuer, configuration);
  if (logger) logProviderEvents(provider, logger);

  const interactions = createInteractionHandler(provider, logger);
  const callback = provider.callback();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (!interactions(req, res)) void callback(req, res);
  };
  return { provider, handler, resourceServer };
}

/**
 * Starts the dev IdP on its own HTTP server (default 127.0.0.1, a free port); the issuer
 * is `http://<host>:<port>`. For tests and for running the IdP beside the BFF.
 */
export async function startDevIdp(
  opts: Omit<DevIdpOptions, 'issuer'> & { host?: string; port?: number },
): Promise<{ issuer: string; idp: DevIdp; close(): Promise<void> }> {
  const { host = '127.0.0.1', port = 0, ...rest } = opts;
  let handler: DevIdp['handler'] | undefined;
  // The issuer needs the port, and the provider needs the issuer: listen first, then
  // build the provider; requests before that (there are none) get a 503.
  const server = await listen(
    (req, res) => {
      if (handler) return handler(req, res);
      res.statusCode = 503;
      res.end();
    },
    host,
    port,
  );
  const idp = createDevIdp({ ...rest, issuer: server.url });
  handler = idp.handler;
  return { issuer: server.url, idp, close: server.close };
}

/** A fresh RS256 signing key per instance: tokens of one dev IdP never verify at another. */
function signingKey(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), use: 'sig', alg: 'RS256' };
}

/** Protocol errors and sign-outs, by name and code only: never a token or a request body. */
function logProviderEvents(provider: Provider, logger: Logger): void {
  const describe = (err: unknown) => {
    const e = err as { message?: string; error?: string; error_description?: string };
    return { error: e.error ?? e.message, description: e.error_description };
  };
  provider.on('server_error', (_ctx, err) => logger.error({ err: { message: err.message } }, 'dev IdP: server error'));
  for (const event of [
    'authorization.error',
    'grant.error',
    'introspection.error',
    'revocation.error',
    'userinfo.error',
    'end_session.error',
  ] as const) {
    provider.on(event as 'grant.error', (_ctx, err) => logger.info({ event, ...describe(err) }, 'dev IdP: request refused'));
  }
  provider.on('backchannel.error', (_ctx, err, client) =>
    logger.warn({ clientId: client.clientId, ...describe(err) }, 'dev IdP: back-channel logout delivery failed'),
  );
  provider.on('backchannel.success', (_ctx, client) =>
    logger.debug({ clientId: client.clientId }, 'dev IdP: back-channel logout delivered'),
  );
  provider.on('end_session.success', () => logger.info('dev IdP: user signed out'));
}
