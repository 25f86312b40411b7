import { CookieJar } from 'tough-cookie';
import { type HtmlForm, parseForms } from './html-forms.js';

/** One response the simulated browser received, body read as text. */
export interface RecordedResponse {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export interface BrowseResult {
  jar: CookieJar;
  /**
   * Where the browser ended: the URL of the last response when it was not a redirect, or
   * the redirect target it stopped before (`stopAt`, or a host off loopback).
   */
  finalUrl: string;
  /** Every response, in order, for assertions such as "no token ever reached the browser". */
  responses: RecordedResponse[];
}

export interface BrowseOptions {
  startUrl: string;
  /** Cookies carried across requests and hosts. Default: a fresh jar. */
  jar?: CookieJar;
  /** Stop before following a redirect to a URL for which this returns true. Default: never. */
  stopAt?: (url: URL) => boolean;
  /** Upper bound on requests, against redirect loops. Default 25. */
  maxSteps?: number;
}

export interface LoginThroughIdpOptions extends BrowseOptions {
  username: string;
  password: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/**
 * A browser reduced to what an OIDC login needs: manual redirect following across hosts
 * with a cookie jar, and form posts chosen by `onPage`. It never leaves loopback: a
 * redirect elsewhere ends the walk and is reported as `finalUrl`.
 */
async function browse(
  opts: BrowseOptions,
  onPage: (page: RecordedResponse) => HtmlForm | undefined,
): Promise<BrowseResult> {
  const jar = opts.jar ?? new CookieJar();
  const responses: RecordedResponse[] = [];
  const maxSteps = opts.maxSteps ?? 25;
  let request: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: opts.startUrl, method: 'GET' };

  for (let step = 0; step < maxSteps; step++) {
    const headers: Record<string, string> = { accept: 'text/html,application/json;q=0.9,*/*;q=0.8' };
    const cookie = await jar.getCookieString(request.url);
    if (cookie) headers.cookie = cookie;
    if (request.method === 'POST') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      // Browsers send Origin on form posts; servers with Origin checks expect it.
      headers.origin = new URL(request.url).origin;
    }
    const res = await fetch(request.url, {
      method: request.method,
      headers,
      body: request.body?.toString(),
      redirect: 'manual',
    });
    for (const setCookie of res.headers.getSetCookie()) {
      await jar.setCookie(setCookie, request.url, { ignoreError: true });
    }
    const recorded: RecordedResponse = {
      url: request.url,
      status: res.status,
      headers: res.headers,
      body: await res.text(),
    };
    responses.push(recorded);

    if (REDIRECTS.has(res.status)) {
      const location = res.headers.get('location');
      if (!location) return { jar, finalUrl: request.url, responses };
      const next = new URL(location, request.url);
      if (!isLoopback(next) || opts.stopAt?.(next)) return { jar, finalUrl: next.href, responses };
      const keepMethod = res.status === 307 || res.status === 308;
      request = keepMethod ? { ...request, url: next.href } : { url: next.href, method: 'GET' };
      continue;
    }

    const form = onPage(recorded);
    if (!form) return { jar, finalUrl: request.url, responses };
    const body = new URLSearchParams(form.fields);
    request =
      form.method === 'POST'
        ? { url: form.action, method: 'POST', body }
        : { url: `${form.action.split('?')[0]}?${body.toString()}`, method: 'GET' };
  }
  throw new Error(`browse: more than ${maxSteps} requests starting at ${opts.startUrl}`);
}

/**
 * Signs in the way a browser would: start at `startUrl` (a BFF's `/auth/login?returnTo=/x`
 * or a raw authorization request), follow redirects, fill in the IdP's login form (fields
 * `login` and `password`) once, and keep following. A wrong password ends at the login
 * form shown again (status 401).
 */
export async function loginThroughIdp(opts: LoginThroughIdpOptions): Promise<BrowseResult> {
  let submitted = false;
  return browse(opts, (page) => {
    if (submitted || !page.headers.get('content-type')?.includes('text/html')) return undefined;
    const form = parseForms(page.body, page.url).find((f) => f.fields.some(([name]) => name === 'login'));
    if (!form) return undefined;
    submitted = true;
    const fields = form.fields.filter(([name]) => name !== 'login' && name !== 'password');
    fields.push(['login', opts.username], ['password', opts.password]);
    return { ...form, fields };
  });
}

/**
 * Signs out the way a browser would: start at a BFF's `/auth/logout?sid=…` (or the IdP's
 * end-session URL), follow redirects and confirm the IdP's sign-out form once.
 */
export async function logoutThroughIdp(opts: BrowseOptions): Promise<BrowseResult> {
  let submitted = false;
  return browse(opts, (page) => {
    if (submitted || !page.headers.get('content-type')?.includes('text/html')) return undefined;
    // oidc-provider's confirmation (and its auto-post variant) carries an `xsrf` field.
    const form = parseForms(page.body, page.url).find((f) => f.fields.some(([name]) => name === 'xsrf'));
    if (!form) return undefined;
    submitted = true;
    return form;
  });
}
