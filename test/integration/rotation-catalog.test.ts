import { describeRotation, fileHome } from '../support/rotation.js';
import { catalogRotation } from '../support/rotation-scenarios.js';

/**
 * CATALOG_API_KEY_FILE rotated under load, the service first and the file first (see
 * test/support/rotation.ts). The file is rewritten in place here (truncate, then write),
 * the harder case for a reader: it may catch the file empty.
 */

describeRotation({
  ...catalogRotation,
  home: fileHome('in-place'),
  keys: ['catalog-rotation-first-0123456789', 'catalog-rotation-second-0123456789', 'catalog-rotation-third-0123456789'],
});
