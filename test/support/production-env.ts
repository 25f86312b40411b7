/**
 * A complete, valid production configuration as environment variables: every required
 * setting present, https everywhere, no demo value. Tests start from it and change the
 * one setting they are about.
 */
export const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://shop.example',
  OIDC_ISSUER: 'https://id.example',
  OIDC_CLIENT_ID: 'shop-bff',
  OIDC_CLIENT_SECRET: 'a-real-client-secret',
  REDIS_URL: 'rediss://cache.example:6380',
  SESSION_SECRET: 'x'.repeat(40),
  SESSION_ENCRYPTION_KEY: 'y'.repeat(40),
  CATALOG_URL: 'https://catalog.internal',
  ORDERS_URL: 'https://orders.internal',
  REVIEWS_URL: 'https://reviews.internal',
  PAYMENTS_URL: 'https://payments.internal',
  CATALOG_API_KEY: 'real-catalog-key',
  PAYMENTS_SECRET_KEY: 'sk_live_real',
} as const;
