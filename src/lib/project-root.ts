import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root: the nearest directory above this module that holds `package.json`.
 * Files the BFF reads at run time (`schema/`, the trusted-documents manifest, the built
 * frontends) are found from here rather than by a fixed `../../` from each module,
 * because a module does not sit at one depth: `src/lib/` under tsx, and a bundle chunk
 * of the build (`dist/main.js`, `dist/chunks/`) anywhere below `dist/`. The production
 * image keeps `package.json` at its root for this.
 */
export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

/** A path below the project root, e.g. `fromProjectRoot('schema')`. */
export function fromProjectRoot(...segments: string[]): string {
  return join(PROJECT_ROOT, ...segments);
}

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}: the BFF runs from its project directory (src/ or dist/ below it)`);
  }
}
