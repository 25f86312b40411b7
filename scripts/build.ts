/**
 * `npm run build`: the production build in `dist/`, bundled with esbuild.
 *
 * Why a bundle and not `tsc`'s one file per module: a BFF's start-up is spent loading
 * modules, not running them. Unbundled, `node dist/main.js` resolves, reads and compiles
 * some 1,500 files (the BFF's own and its dependencies': @redis/client alone is 424 CommonJS
 * modules, @apollo/server hundreds of ES modules); pinned to one core, importing the app
 * took 1.3–1.5 s, of which compiling was a third and resolving the rest. Bundled, the same
 * import takes about half that (bench/README.md, "Start-up"). Types are still checked by
 * `npm run typecheck` (tsc); esbuild only strips them, which the project's
 * `isolatedModules` and `verbatimModuleSyntax` guarantee is safe.
 *
 * Two entry points: the BFF (`dist/main.js`) and the demo services' container
 * (`dist/demo/main.js`). Code split: what `src/main.ts` imports lazily (tracing, the app
 * after it, the demo, Secrets Manager) stays lazy, in `dist/chunks/`.
 */
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { fromProjectRoot } from '../src/lib/project-root.js';

/**
 * Packages loaded from node_modules at run time, not bundled.
 * - express, graphql, @redis/client: OpenTelemetry's instrumentations patch them as they
 *   are loaded from node_modules (require and import hooks), which is why
 *   `src/main.ts` starts tracing before it imports the app. Bundled, they would never be
 *   "loaded" and tracing would lose the express, graphql and redis spans. (http and
 *   undici are traced through diagnostics channels, which a bundle keeps.) Kept outside,
 *   graphql is also one instance for everything that imports it, as graphql-js demands.
 * - @opentelemetry/*: the SDK, its loader hook and the API's global registration.
 * - pino: its transports and `pino.destination` run files by path in worker threads.
 * - @aws-sdk/*, oidc-provider, pino-pretty: loaded only for Secrets Manager, the dev
 *   identity provider and a developer's terminal; never on a production start path.
 */
const EXTERNAL = ['express', 'graphql', '@redis/client', '@opentelemetry/*', 'pino', 'pino-pretty', '@aws-sdk/*', 'oidc-provider'];

const outdir = fromProjectRoot('dist');
// No file of an earlier build (or of tsc's layout) survives to be imported by mistake.
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: fromProjectRoot(),
  entryPoints: ['src/main.ts', 'src/demo/main.ts'],
  outbase: 'src',
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external: EXTERNAL,
  // CommonJS dependencies inside an ES module bundle still call `require` (for Node's
  // built-ins and the external packages above): give every output file one.
  banner: { js: "import { createRequire as __bffCreateRequire } from 'node:module'; const require = __bffCreateRequire(import.meta.url);" },
  // Class and function names as written: pino logs an error's `type` from its
  // constructor's name, and the bundle would otherwise rename clashing ones (`Foo2`).
  keepNames: true,
  sourcemap: true,
  logLevel: 'warning',
});
