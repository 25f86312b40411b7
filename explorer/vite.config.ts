import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The self-hosted GraphQL explorer (GraphiQL 5), bundled with everything it loads, so it
 * works with no network but the BFF's own origin. `npm run build:explorer` writes
 * `explorer/dist`, which the BFF serves at `/graphiql` (src/graphql/explorer.ts).
 * Vite 8's built-in oxc compiles the TSX; no React plugin is needed for a build.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Every asset URL is absolute under the path the BFF serves the explorer at.
  base: '/graphiql/',
  // Nothing public to copy; and no .env files: the explorer has no settings of its own.
  publicDir: false,
  envDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Monaco is large by nature; the warning would only repeat that on every build.
    chunkSizeWarningLimit: 5000,
    sourcemap: false,
    // Gzip sizes of 7 MB of Monaco would only slow every build down.
    reportCompressedSize: false,
    rolldownOptions: {
      onwarn(warning, warn) {
        // React libraries mark modules "use client"; a client-only bundle drops that on purpose.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});
