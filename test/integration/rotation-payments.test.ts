import { describeRotation, fileHome } from '../support/rotation.js';
import { paymentsRotation } from '../support/rotation-scenarios.js';

/**
 * PAYMENTS_SECRET_KEY_FILE rotated under load, the service first and the file first
 * (see test/support/rotation.ts), the file replaced by a rename.
 */

describeRotation({
  ...paymentsRotation,
  home: fileHome('rename'),
  keys: ['sk_test_rotation_first_0123456789', 'sk_test_rotation_second_0123456789', 'sk_test_rotation_third_0123456789'],
});
