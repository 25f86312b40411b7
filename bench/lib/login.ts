import { CookieJar } from 'tough-cookie';
import { Agent, fetch } from 'undici';
import { parseForms } from '../../test/support/html-forms.js';

/**
 * The loopback world of the bench: browsers reach each BFF at its https `PUBLIC_URL`,
 * which a TLS-terminating proxy would forward as plain http with `X-Forwarded-Proto:
 * https` (the BFF runs with `TRUST_PROXY_HOPS=1`). The bench plays that proxy: a request
 * to a public origin goes to the BFF's http port with that header.
 */
export interface LoopbackWorld {
  /** https public origin → the http origin the BFF listens on. */
  readonly bffs: ReadonlyMap<string, string>;
  /** Trusts the bench's throw-away certificate (the IdP is https). */
  readonly dispatcher: Agent;
}

export const FORWARDED = { 'x-forwarded-proto': 'https' } as const;

async function send(world: LoopbackWorld, url: string, init: { method: string; headers: Record<string, string>; body?: string }) {
  const u = new URL(url);
  const backend = world.bffs.get(u.origin);
  const target = backend ? `${backend}${u.pathname}${u.search}` : url;
  const headers = backend ? { ...init.headers, ...FORWARDED } : init.headers;
  return fetch(target, { ...init, headers, redirect: 'manual', dispatcher: world.dispatcher });
}

/**
 * Signs in the way a browser would (the dev IdP's login form, fields `login` and
 * `password`), starting at `<publicUrl>/auth/login`. Returns the `Cookie` header value
 * for the BFF. Bounded: at most 20 requests, loopback only.
 */
export async function signIn(world: LoopbackWorld, publicUrl: string, username: string, password = username): Promise<string> {
  const jar = new CookieJar();
  let request: { url: string; method: 'GET' | 'POST'; body?: string } = { url: `${publicUrl}/auth/login?returnTo=/`, method: 'GET' };
  let submitted = false;
  for (let step = 0; step < 20; step++) {
    const url = new URL(request.url);
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') throw new Error(`sign-in left loopback: ${url.href}`);
    const headers: Record<string, string> = { accept: 'text/html,application/json;q=0.9,*/*;q=0.8' };
    const cookie = await jar.getCookieString(request.url);
    if (cookie) headers.cookie = cookie;
    if (request.method === 'POST') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = url.origin;
    }
    const res = await send(world, request.url, { method: request.method, headers, ...(request.body ? { body: request.body } : {}) });
    for (const c of res.headers.getSetCookie()) await jar.setCookie(c, request.url, { ignoreError: true });
    const body = await res.text();
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      const next = new URL(res.headers.get('location') ?? '', request.url);
      // Landed back on the BFF's returnTo: signed in.
      if (next.origin === publicUrl && next.pathname === '/') break;
      request = { url: next.href, method: 'GET' };
      continue;
    }
    const form = res.headers.get('content-type')?.includes('text/html')
      ? parseForms(body, request.url).find((f) => f.fields.some(([name]) => name === 'login'))
      : undefined;
    if (!form || submitted) throw new Error(`sign-in stopped at ${request.url} (${res.status}): ${body.slice(0, 300)}`);
    submitted = true;
    const fields = form.fields.filter(([name]) => name !== 'login' && name !== 'password');
    fields.push(['login', username], ['password', password]);
    const encoded = new URLSearchParams(fields).toString();
    request =
      form.method === 'POST'
        ? { url: form.action, method: 'POST', body: encoded }
        : { url: `${form.action.split('?')[0]}?${encoded}`, method: 'GET' };
  }
  const cookie = await jar.getCookieString(`${publicUrl}/graphql`);
  if (!cookie.includes('shop.sid')) throw new Error(`sign-in at ${publicUrl} ended without a session cookie`);
  return cookie;
}

/** One GraphQL POST as the app would send it (through the "proxy"), parsed. */
export async function graphqlOnce(
  world: LoopbackWorld,
  publicUrl: string,
  body: unknown,
  cookie?: string,
): Promise<{ status: number; text: string; json: { data?: unknown; errors?: unknown[] } }> {
  const res = await send(world, `${publicUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: publicUrl, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: { data?: unknown; errors?: unknown[] } = {};
  try {
    json = JSON.parse(text);
  } catch {
    // Left empty: the caller reports status and text.
  }
  return { status: res.status, text, json };
}
