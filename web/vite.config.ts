import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The shop's web app, built into web/dist and served by the BFF at `/` (src/web/).
 * No React plugin: Vite's built-in oxc transform compiles TSX with the automatic JSX
 * runtime, which is all a production build needs (no fast refresh).
 *
 * `npm run dev:web` serves it on :5173 and proxies the BFF's endpoints to the BFF of
 * `npm start`; run that with `ALLOWED_ORIGINS=http://localhost:5173` so its Origin
 * check lets the dev server's page through (cookies are per host, not per port).
 */

/** Where `npm start` listens (PORT's default). */
const BFF_URL = 'http://localhost:4000';

export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names under /assets/: the BFF serves them as immutable.
    assetsDir: 'assets',
    // Every script is a file: the BFF's CSP allows no inline script.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server:
    command === 'serve'
      ? {
          port: 5173,
          proxy: Object.fromEntries(
            ['/auth', '/graphql', '/dev-idp'].map((path) => [path, { target: BFF_URL, changeOrigin: false }]),
          ),
        }
      : {},
}));
