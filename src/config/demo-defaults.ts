import { catalogSettings } from '../services/catalog/settings.js';
import { paymentsSettings } from '../services/payments/settings.js';

/**
 * Well-known values of the zero-config demo. They are public on purpose (they are in
 * this repository), so production refuses every one of them.
 */
export const DEMO = {
  clientId: 'shop-bff',
  clientSecret: 'demo-client-secret-not-for-production',
  /** The demo catalog's key (its definition holds it: `src/services/catalog/settings.ts`). */
  catalogApiKey: catalogSettings.credential.demoValue,
  /** The demo payments secret key (`src/services/payments/settings.ts`). */
  paymentsSecretKey: paymentsSettings.credential.demoValue,
  /** Path under PUBLIC_URL where `npm start` mounts the embedded development IdP. */
  idpPath: '/dev-idp',
} as const;
