import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { fromProjectRoot, PROJECT_ROOT } from '../../../src/lib/project-root.js';

describe('PROJECT_ROOT', () => {
  it('is the directory of the project’s package.json (from src/ here; the build\'s chunks are covered by tracing-sdk.test.ts)', () => {
    expect(PROJECT_ROOT).toBe(resolve('.'));
    expect((JSON.parse(readFileSync(fromProjectRoot('package.json'), 'utf8')) as { name: string }).name).toBe('shop-bff');
  });

  it('finds what the BFF reads at run time', () => {
    expect(existsSync(fromProjectRoot('schema'))).toBe(true);
    expect(existsSync(fromProjectRoot('client/generated/persisted-documents.json'))).toBe(true);
  });
});
