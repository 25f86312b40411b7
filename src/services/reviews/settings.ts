import type { ServiceSettings } from '../definition.js';

/** The reviews service's settings: pure data, read by `src/config` (see `../definition.ts`). */
export const reviewsSettings = {
  name: 'reviews',
  envPrefix: 'REVIEWS',
  credential: { kind: 'client-credentials', scopeSetting: 'REVIEWS_SCOPE', defaultScope: 'reviews:read' },
  sharedAnswers: true,
  unavailableMessage: 'Reviews are unavailable right now.',
} as const satisfies ServiceSettings;
