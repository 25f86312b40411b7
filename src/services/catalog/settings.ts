import type { ServiceSettings } from '../definition.js';

/** The catalog service's settings: pure data, read by `src/config` (see `../definition.ts`). */
export const catalogSettings = {
  name: 'catalog',
  envPrefix: 'CATALOG',
  credential: { kind: 'api-key', secret: 'CATALOG_API_KEY', demoValue: 'demo-catalog-api-key' },
  sharedAnswers: true,
  unavailableMessage: 'The product catalog is unavailable right now.',
} as const satisfies ServiceSettings;
