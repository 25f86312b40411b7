import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVICE_SETTINGS } from '../../../src/services/settings.js';

/** The repository's root, for reading the deployment files the tests check. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const readText = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');

/**
 * Every setting documented in docs/http-and-config.md: the backticked names in the first
 * column of each `| setting |` table, `<SERVICE>_X` expanded for every service of the
 * registry, and `X_FILE` for each secret setting the docs list. A deployment file that
 * sets anything else sets a name the BFF does not read (a typo, or a stale setting).
 */
export function documentedSettings(): Set<string> {
  const lines = readText('docs/http-and-config.md').split('\n');
  const names = new Set<string>();
  let inSettingsTable = false;
  for (const line of lines) {
    if (/^\|\s*setting\s*\|/.test(line)) {
      inSettingsTable = true;
      continue;
    }
    if (!line.startsWith('|')) {
      inSettingsTable = false;
      continue;
    }
    if (!inSettingsTable) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const [, name] of firstCell.matchAll(/`([A-Z<][A-Z0-9_<>]*)`/g)) {
      if (name!.startsWith('<SERVICE>_')) {
        for (const s of SERVICE_SETTINGS) names.add(name!.replace('<SERVICE>', s.envPrefix));
      } else {
        names.add(name!);
      }
    }
  }
  const secretsParagraph = /Secret settings \(([^)]*)\)/.exec(lines.join('\n'));
  if (!secretsParagraph) throw new Error('docs/http-and-config.md no longer lists the secret settings');
  for (const [, name] of secretsParagraph[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(`${name}_FILE`);
  return names;
}

/** The secret settings the docs list (each may be `X` or `X_FILE`). */
export function documentedSecretSettings(): string[] {
  const match = /Secret settings \(([^)]*)\)/.exec(readText('docs/http-and-config.md'));
  return [...(match?.[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!);
}
