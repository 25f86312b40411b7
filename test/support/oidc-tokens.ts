import { createHash, randomBytes } from 'node:crypto';
import type { CookieJar } from 'tough-cookie';
import { type BrowseResult, loginThroughIdp } from './oidc-login.js';

/** The endpoints of a discovery document that tests use. */
export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  end_session_endpoint: string;
  jwks_uri: string;
  [key: string]: unknown;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  id_token?: string;
  refresh_token?: string;
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  /** Must be registered at the IdP; never fetched (the walk stops before it). */
  redirectUri: string;
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

export async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`discovery at ${issuer} answered ${res.status}`);
  return (await res.json()) as Discovery;
}

/** Client authentication for the token, introspection and revocation endpoints. */
export function clientAuth(
  client: Pick<TestClient, 'clientId' | 'clientSecret' | 'tokenEndpointAuthMethod'>,
  params: Record<string, string>,
): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(params);
  if (client.tokenEndpointAuthMethod === 'client_secret_post') {
    body.set('client_id', client.clientId);
    body.set('client_secret', client.clientSecret);
  } else {
    const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    headers.authorization = `Basic ${Buffer.from(`${enc(client.clientId)}:${enc(client.clientSecret)}`).toString('base64')}`;
  }
  return { headers, body: body.toString() };
}

/** POSTs to the token endpoint; returns status and parsed JSON (error or tokens). */
export async function tokenRequest(
  disc: Discovery,
  client: Pick<TestClient, 'clientId' | 'clientSecret' | 'tokenEndpointAuthMethod'>,
  params: Record<string, string>,
): Promise<{ status: number; body: TokenResponse & { error?: string } }> {
  const res = await fetch(disc.token_endpoint, { method: 'POST', ...clientAuth(client, params) });
  return { status: res.status, body: (await res.json()) as TokenResponse & { error?: string } };
}

export interface CodeFlowResult {
  tokens: TokenResponse;
  /** The browser walk up to the redirect back to the client. */
  login: BrowseResult;
  /** The redirect_uri the IdP sent the browser to, with code, state and iss. */
  callbackUrl: URL;
}

/**
 * A complete authorization code + PKCE (S256) login as a confidential client, driving the
 * IdP's login form through `loginThroughIdp`, then the code exchange.
 */
export async function authorizationCodeFlow(opts: {
  issuer: string;
  client: TestClient;
  username: string;
  password: string;
  scope?: string;
  jar?: CookieJar;
}): Promise<CodeFlowResult> {
  const disc = await discover(opts.issuer);
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL(disc.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: opts.client.clientId,
    response_type: 'code',
    scope: opts.scope ?? 'openid profile email offline_access',
    redirect_uri: opts.client.redirectUri,
    state,
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const redirect = new URL(opts.client.redirectUri);
  const login = await loginThroughIdp({
    startUrl: url.href,
    username: opts.username,
    password: opts.password,
    jar: opts.jar,
    stopAt: (u) => u.origin === redirect.origin && u.pathname === redirect.pathname,
  });
  const callbackUrl = new URL(login.finalUrl);
  const code = callbackUrl.searchParams.get('code');
  if (!code || callbackUrl.searchParams.get('state') !== state) {
    throw new Error(`login did not come back with a code: ${callbackUrl.href}`);
  }
  const { status, body } = await tokenRequest(disc, opts.client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: opts.client.redirectUri,
    code_verifier: verifier,
  });
  if (status !== 200) throw new Error(`code exchange answered ${status}: ${body.error}`);
  return { tokens: body, login, callbackUrl };
}

/** The payload of a JWT, unverified: tests read claims of tokens they just received. */
export function jwtClaims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
