import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { fromProjectRoot } from '../lib/project-root.js';

/**
 * The self-hosted GraphQL explorer: GraphiQL 5 bundled by the project (`explorer/`,
 * `npm run build:explorer`), for networks where Apollo Sandbox cannot reach Apollo's
 * CDN. Served wherever Sandbox is allowed (`GRAPHQL_SANDBOX`), never in production by
 * default.
 */

/** Where the BFF serves the explorer; `explorer/vite.config.ts` builds for this base. */
export const EXPLORER_PATH = '/graphiql';

/** `explorer/dist` at the project root. */
export const EXPLORER_DIST = fromProjectRoot('explorer/dist');

/** The one command that builds it, named in the page and the log line that say it is missing. */
export const EXPLORER_BUILD_COMMAND = 'npm run build:explorer';

export interface ExplorerOptions {
  /** The built explorer (Vite's output). Default `EXPLORER_DIST`. */
  readonly dir?: string;
}

/** Whether the explorer has been built into `dir`. */
export function explorerBuilt(dir: string = EXPLORER_DIST): boolean {
  return existsSync(join(dir, 'index.html'));
}

/**
 * Everything the page loads comes from this origin: scripts, Monaco's workers and font,
 * and `/graphql`. Monaco and GraphiQL set inline styles at run time (`style-src
 * 'unsafe-inline'`); no inline script, no eval, no other origin.
 */
const explorerHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'worker-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'font-src': ["'self'", 'data:'],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'base-uri': ["'none'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
    },
  },
});

/**
 * `GET /graphiql` and its assets. The asset names carry a content hash, so they are
 * cached for good; the page itself is revalidated, so a rebuild shows at once. When the
 * build is absent the page says how to build it (503), rather than a bare 404; nothing
 * else changes and nothing crashes, and building it needs no restart.
 */
export function explorerRouter({ dir = EXPLORER_DIST }: ExplorerOptions = {}): Router {
  const router = express.Router();
  router.use(explorerHeaders);
  // The page itself, on `/graphiql` and `/graphiql/` alike (serve-static would answer the
  // first with a 404, or a redirect).
  router.get(['/', '/index.html'], (_req, res, next) => {
    if (!explorerBuilt(dir)) {
      res.status(503).type('html').set('Cache-Control', 'no-store').send(NOT_BUILT_PAGE);
      return;
    }
    res.set('Cache-Control', 'no-cache').sendFile(join(dir, 'index.html'), (err) => err && next(err));
  });
  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      // Only the page above may be revalidated; every other file's name carries its hash.
      immutable: true,
      maxAge: '1y',
    }),
  );
  return router;
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>GraphQL explorer not built</title></head>
<body>
<h1>The self-hosted GraphQL explorer is not built</h1>
<p>Run <code>${EXPLORER_BUILD_COMMAND}</code> in the project, then reload this page (no restart needed).
<code>npm test</code> builds it too.</p>
<p>Apollo Sandbox is on <a href="/graphql">/graphql</a> (it loads from Apollo's CDN).</p>
</body>
</html>
`;

/**
 * The start-up line that links the explorers, where they are served: a warning naming
 * the build command when the self-hosted one is not built.
 */
export function announceExplorers(logger: Logger, { sandbox, publicUrl, dir = EXPLORER_DIST }: { sandbox: boolean; publicUrl: string; dir?: string }): void {
  if (!sandbox) return;
  const explorer = `${publicUrl}${EXPLORER_PATH}`;
  const apolloSandbox = `${publicUrl}/graphql`;
  if (explorerBuilt(dir)) {
    logger.info({ explorer, sandbox: apolloSandbox }, `GraphQL explorer at ${explorer} (self-hosted, works offline); Apollo Sandbox at ${apolloSandbox}`);
  } else {
    logger.warn(
      { explorer, sandbox: apolloSandbox },
      `the self-hosted GraphQL explorer is not built: run \`${EXPLORER_BUILD_COMMAND}\` to serve it at ${explorer}; Apollo Sandbox at ${apolloSandbox} needs Apollo's CDN`,
    );
  }
}
