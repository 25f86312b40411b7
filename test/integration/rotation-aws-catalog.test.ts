import { awsSecretHome } from '../support/aws-secret-home.js';
import { describeRotation } from '../support/rotation.js';
import { catalogRotation } from '../support/rotation-scenarios.js';

/**
 * CATALOG_API_KEY_AWS_SECRET_ID (a plain-text secret, by ARN) rotated in moto's real
 * Secrets Manager under load, the service first and the manager first, exactly as the
 * file suites do (see test/support/rotation.ts).
 */

describeRotation({
  ...catalogRotation,
  home: awsSecretHome(),
  keys: ['catalog-aws-first-0123456789', 'catalog-aws-second-0123456789', 'catalog-aws-third-0123456789'],
});
