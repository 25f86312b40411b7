import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type Interaction, type Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { checkDemoCredentials, DEMO_USERS } from './demo-users.js';
import { htmlSafe, page } from './html.js';
import { readFormBody } from './read-body.js';

/** Where the provider sends the browser for login and consent (under the mount path). */
export const INTERACTION_PREFIX = '/interaction/';

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?\/?$/;

/**
 * The path the handler is mounted under, as oidc-provider itself works it out
 * (`lib/helpers/oidc_context.js` `urlFor`): Express strips the mount path from `req.url`
 * and keeps the full path in `req.originalUrl` (and the prefix in `req.baseUrl`).
 * Standalone both are the same and the mount path is ''.
 */
export function mountPathOf(req: IncomingMessage): string {
  const { originalUrl, baseUrl } = req as IncomingMessage & { originalUrl?: string; baseUrl?: string };
  if (typeof baseUrl === 'string') return baseUrl;
  const url = req.url ?? '';
  if (originalUrl && url && originalUrl !== url) {
    const at = originalUrl.indexOf(url);
    if (at > 0) return originalUrl.slice(0, at);
  }
  return '';
}

/**
 * The dev IdP's own login and consent pages, written against `provider.interactionDetails`
 * and `interactionFinished` as oidc-provider's user-flow docs describe. Every configured
 * client is first-party, so consent is granted without a page: the browser only ever sees
 * the login form, and plain form posts drive it.
 *
 * Returns false when the request is not an interaction route (the caller then hands it
 * to the provider).
 */
export function createInteractionHandler(
  provider: Provider,
  logger: Logger | undefined,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const handle = async (req: IncomingMessage, res: ServerResponse, uid: string, action: string) => {
    const details = await provider.interactionDetails(req, res);
    // The cookie names the interaction; the path must agree, or the form is stale.
    if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
    const { prompt } = details;

    if (action === '/abort') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted the sign-in' },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    if (prompt.name === 'login') {
      if (req.method === 'GET' && action === '') {
        return sendLoginPage(res, mountPathOf(req), uid, 200);
      }
      if (req.method === 'POST' && action === '/login') {
        const form = await readFormBody(req);
        const login = form.get('login') ?? '';
        const user = checkDemoCredentials(login, form.get('password') ?? '');
        if (!user) {
          logger?.info({ event: 'login.failed' }, 'dev IdP: wrong username or password');
          return sendLoginPage(res, mountPathOf(req), uid, 401, login, 'Wrong username or password.');
        }
        logger?.info({ event: 'login.success', sub: user.sub }, 'dev IdP: user signed in');
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: user.sub, amr: ['pwd'], remember: true } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      return sendMethodNotAllowed(res);
    }

    if (prompt.name === 'consent') {
      // First-party clients: grant what was asked, as the consent page would after "Allow".
      const grantId = await grantRequested(provider, details);
      await provider.interactionFinished(
        req,
        res,
        { consent: details.grantId ? {} : { grantId } },
        { mergeWithLastSubmission: true },
      );
      return;
    }

    throw new Error(`dev IdP: unsupported interaction prompt ${prompt.name}`);
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const match = INTERACTION_PATH.exec(path);
    if (!match) return false;
    res.setHeader('Cache-Control', 'no-store');
    handle(req, res, match[1]!, match[2] ?? '').catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof errors.SessionNotFound) {
        return sendPage(
          res,
          400,
          'Sign-in expired',
          '<p>This sign-in attempt has expired or is unknown. Go back to the application and sign in again.</p>',
        );
      }
      logger?.error({ err: { message: (err as Error).message } }, 'dev IdP: interaction failed');
      sendPage(res, 500, 'Something went wrong', '<p>The sign-in could not be completed.</p>');
    });
    return true;
  };
}

async function grantRequested(provider: Provider, details: Interaction): Promise<string> {
  const { params, session, prompt } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session?.accountId, clientId: String(params.client_id) });
  if (!grant) throw new errors.SessionNotFound('grant not found');
  const missing = prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

function sendLoginPage(
  res: ServerResponse,
  mountPath: string,
  uid: string,
  status: number,
  login = '',
  error?: string,
): void {
  const base = `${mountPath}${INTERACTION_PREFIX}${encodeURIComponent(uid)}`;
  const users = DEMO_USERS.map((u) => `<code>${htmlSafe(u.username)}</code>`).join(', ');
  sendPage(
    res,
    status,
    'Sign in',
    `${error ? `<p class="error" role="alert">${htmlSafe(error)}</p>` : ''}
<form method="post" action="${htmlSafe(`${base}/login`)}" autocomplete="off">
<label for="login">Username</label>
<input id="login" name="login" value="${htmlSafe(login)}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<p class="hint">Development identity provider. Demo users: ${users} (the password is the username).</p>
<p><a href="${htmlSafe(`${base}/abort`)}">Cancel</a></p>`,
  );
}

function sendMethodNotAllowed(res: ServerResponse): void {
  sendPage(res, 405, 'Not allowed', '<p>This page does not take that request.</p>');
}

function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  const html = page(title, body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(html);
}
