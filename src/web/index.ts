import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import express, { type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';

export interface WebAppOptions {
  /** The build's directory (`config.web.distDir`, `WEB_DIST_DIR`): `index.html` and `assets/`. */
  readonly distDir: string;
  /**
   * Path prefixes that belong to the BFF, never to the app: a browser navigation there
   * gets the BFF's own answer (a 404 included), not the app's shell. Default
   * `BFF_PATHS`; the app adds the dev IdP's path when it is mounted.
   */
  readonly bffPaths?: readonly string[];
  readonly logger: Logger;
}

export interface WebApp {
  /** `GET /assets/*`: the hashed files, cached immutably. Mount before the session middleware: they need none. */
  readonly assets: RequestHandler;
  /**
   * The shell (`index.html`, never cached) for every browser navigation outside
   * `bffPaths`, so the app's own paths (`/`, `/products/p1`, `/search?q=…`) load it.
   * Mount last, just before the 404: anything the BFF serves itself wins.
   */
  readonly shell: RequestHandler;
}

/** The BFF's own endpoints (docs/http-and-config.md) and the app's assets. */
export const BFF_PATHS: readonly string[] = ['/auth', '/graphql', '/healthz', '/readyz', '/metrics', '/assets'];

/** Hashed file names change with their content, so a year and `immutable` is safe. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

/**
 * The shell's policy: scripts, styles and connections from this origin only, no inline
 * script or style, no plugins, no framing, no `<base>`; forms post only here. Vite's
 * build puts every script in a file (web/vite.config.ts), so none needs a nonce.
 */
const shellPolicy = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'font-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  },
});

/**
 * Serves the shop's web app (web/, built by `npm run build:web`) from the BFF's origin,
 * so the HttpOnly session cookie is all it needs. Without a build, the BFF still starts:
 * one warning at start-up, and the shell's paths answer a 503 page naming the command.
 */
export function createWebApp(opts: WebAppOptions): WebApp {
  const log = opts.logger.child({ component: 'web-app' });
  const indexFile = join(opts.distDir, 'index.html');
  const bffPaths = opts.bffPaths ?? BFF_PATHS;
  if (!existsSync(indexFile)) {
    log.warn({ distDir: opts.distDir }, 'the web app is not built: run `npm run build:web`; until then / shows a page saying so');
  }

  const assets = express.static(join(opts.distDir, 'assets'), {
    immutable: true,
    maxAge: ASSET_MAX_AGE_MS,
    index: false,
    redirect: false,
    // A missing file falls through to the BFF's 404, never to the shell.
    fallthrough: true,
  });
  const assetsRouter = express.Router();
  assetsRouter.use('/assets', assets);

  const shell: RequestHandler = (req, res, next) => {
    if (!isAppNavigation(req, bffPaths)) return next();
    shellPolicy(req, res, async (err?: unknown) => {
      if (err) return next(err);
      let html: string;
      try {
        // Read on every navigation (a few hundred bytes, from the page cache): a rebuild
        // names new asset files, and the shell must never point at old ones.
        html = await readFile(indexFile, 'utf8');
      } catch {
        log.warn('a page of the web app was asked for, but the app is not built (run `npm run build:web`)');
        res.status(503).set('Cache-Control', 'no-store').type('html').send(NOT_BUILT_PAGE);
        return;
      }
      // Never cached, by the browser or anything between: it names the current assets,
      // and the answer of one deploy must not outlive it.
      res.status(200).set('Cache-Control', 'no-store').type('html').send(html);
    });
  };

  return { assets: assetsRouter, shell };
}

/**
 * A browser loading a page (not a fetch, an image or an API client): `GET`/`HEAD`,
 * `Sec-Fetch-Mode: navigate` where the browser sends it, else an `Accept` naming HTML;
 * and a path outside the BFF's own.
 */
function isAppNavigation(req: Request, bffPaths: readonly string[]): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = req.path;
  if (bffPaths.some((p) => path === p || path.startsWith(`${p}/`))) return false;
  const mode = req.get('sec-fetch-mode');
  if (mode !== undefined) return mode === 'navigate';
  return (req.get('accept') ?? '').includes('text/html');
}

const NOT_BUILT_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>The web app is not built</title>' +
  '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>' +
  '<h1>The web app is not built</h1>' +
  '<p>The BFF is running, but it has no build of the shop’s web app to serve. Run <code>npm run build:web</code> ' +
  '(<code>npm start</code> does it first) and reload this page.</p>' +
  '<p>The API at <code>/graphql</code> works without it.</p>' +
  '</main></body></html>';
