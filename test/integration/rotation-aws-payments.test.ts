import { awsSecretHome } from '../support/aws-secret-home.js';
import { describeRotation } from '../support/rotation.js';
import { paymentsRotation } from '../support/rotation-scenarios.js';

/**
 * PAYMENTS_SECRET_KEY_AWS_SECRET_ID with `#secretKey` (a JSON secret, one field used)
 * rotated in moto's real Secrets Manager under load, the service first and the manager
 * first (see test/support/rotation.ts).
 */

describeRotation({
  ...paymentsRotation,
  home: awsSecretHome({ jsonKey: 'secretKey' }),
  keys: ['sk_test_aws_first_0123456789', 'sk_test_aws_second_0123456789', 'sk_test_aws_third_0123456789'],
});
