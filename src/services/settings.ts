import { catalogSettings } from './catalog/settings.js';
import { ordersSettings } from './orders/settings.js';
import { paymentsSettings } from './payments/settings.js';
import { reviewsSettings } from './reviews/settings.js';

/**
 * Every downstream service's settings, in the order of `SERVICES` (registry.ts): the
 * pure-data half of the registry, which `src/config` reads without loading a client.
 * Adding a service adds one line here and one in registry.ts.
 */
export const SERVICE_SETTINGS = [catalogSettings, ordersSettings, reviewsSettings, paymentsSettings] as const;

export type ServiceName = (typeof SERVICE_SETTINGS)[number]['name'];
export const SERVICE_NAMES: readonly ServiceName[] = SERVICE_SETTINGS.map((s) => s.name);
