/**
 * Well-known values of the zero-config demo. They are public on purpose (they are in
 * this repository), so production refuses every one of them.
 */
export const DEMO = {
  clientId: 'shop-bff',
  clientSecret: 'demo-client-secret-not-for-production',
  catalogApiKey: 'demo-catalog-api-key',
  paymentsSecretKey: 'sk_test_demo_payments_secret_key',
  /** Path under PUBLIC_URL where `npm start` mounts the embedded development IdP. */
  idpPath: '/dev-idp',
} as const;
