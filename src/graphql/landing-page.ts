import { readFileSync } from 'node:fs';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { fromProjectRoot } from '../lib/project-root.js';

/** The dashboard query the web app runs: preloaded in Sandbox and in the self-hosted explorer. */
export const DASHBOARD_OPERATION_FILE = fromProjectRoot('client/operations/Dashboard.graphql');

export interface SandboxLandingPageOptions {
  /** Where the self-hosted explorer is (linked from the page). */
  readonly explorerPath: string;
  /**
   * The operation Sandbox opens with. Default: `client/operations/Dashboard.graphql`, or
   * none where that file is not shipped (the production image carries no operations).
   */
  readonly document?: string;
  /** Let Sandbox report usage to Apollo. Default `false`: nothing leaves for Apollo but the page's own code. */
  readonly runTelemetry?: boolean;
}

/**
 * Apollo Sandbox on `GET /graphql`, sending the session cookie (`includeCookies`), so a
 * developer signed in through `/auth/login` explores as that user; with the dashboard
 * query preloaded and telemetry off. Sandbox's code comes from Apollo's CDN, so the page
 * also links to the self-hosted explorer: a bar above Sandbox, and a line in Apollo's own
 * "cannot be loaded" fallback, which shows when the CDN is out of reach. Both are plain
 * HTML and CSS under the page's own nonce: its CSP allows no other inline code.
 */
export function sandboxLandingPage({ explorerPath, document = readDashboard(), runTelemetry = false }: SandboxLandingPageOptions): ApolloServerPlugin {
  const sandbox = ApolloServerPluginLandingPageLocalDefault({
    embed: { runTelemetry, endpointIsEditable: false },
    includeCookies: true,
    ...(document ? { document } : {}),
  });
  return {
    ...sandbox,
    async serverWillStart(service) {
      const listener = await sandbox.serverWillStart?.(service);
      if (!listener?.renderLandingPage) return listener;
      const render = listener.renderLandingPage.bind(listener);
      return {
        ...listener,
        async renderLandingPage() {
          const page = await render();
          const html = page.html;
          return { html: async () => withExplorerLink(typeof html === 'string' ? html : await html(), explorerPath) };
        },
      };
    },
  };
}

/** The nonce Apollo's page allows its inline style under (a fresh one per page). */
const NONCE = /'nonce-([^']+)'/;
const BAR_HEIGHT = '2rem';

/** Adds the explorer link to Apollo's page: a bar above Sandbox and a line in its offline fallback. */
export function withExplorerLink(html: string, explorerPath: string): string {
  const nonce = NONCE.exec(html)?.[1];
  if (!nonce) return html; // Not the page this was written for; leave it whole.
  const link = (text: string) => `<a href="${explorerPath}">${text} (${explorerPath})</a>`;
  const style = `<style nonce="${nonce}">
  .shop-explorer-bar { position: fixed; top: 0; left: 0; right: 0; height: ${BAR_HEIGHT}; z-index: 2;
    box-sizing: border-box; padding: 0.4rem 1rem; font: 14px/1.2rem system-ui, sans-serif;
    background: #1f2937; color: #f9fafb; }
  .shop-explorer-bar a { color: #93c5fd; }
  .fallback { padding-top: calc(${BAR_HEIGHT} + 1em); }
  #embeddableSandbox { top: ${BAR_HEIGHT}; height: calc(100vh - ${BAR_HEIGHT}); }
</style>`;
  const bar = `<div class="shop-explorer-bar" id="shop-explorer-link">Offline, or Sandbox does not load? Use ${link('the self-hosted explorer')}: it needs no CDN.</div>`;
  const fallback = `<p id="shop-explorer-fallback">Apollo Sandbox loads from Apollo's CDN. ${link('The self-hosted explorer')} is served by this BFF and works offline.</p>`;
  return html
    .replace('<body>', `<body>\n${bar}`)
    // Last, so it overrides Apollo's own rules for the same elements.
    .replace('</body>', `${style}\n</body>`)
    .replace(/(<div class="fallback">[\s\S]*?<\/p>)/, `$1\n${fallback}`);
}

function readDashboard(): string | undefined {
  try {
    return readFileSync(DASHBOARD_OPERATION_FILE, 'utf8');
  } catch {
    return undefined;
  }
}
