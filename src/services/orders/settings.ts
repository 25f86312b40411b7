import type { ServiceSettings } from '../definition.js';

/** The orders service's settings: pure data, read by `src/config` (see `../definition.ts`). */
export const ordersSettings = {
  name: 'orders',
  envPrefix: 'ORDERS',
  credential: { kind: 'user-token' },
  unavailableMessage: 'Orders are unavailable right now.',
} as const satisfies ServiceSettings;
