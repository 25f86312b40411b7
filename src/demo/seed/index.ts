/**
 * The demo services' seed data. Frozen and shared in-process: orders price their lines
 * from the same catalog, and tests compare results with it. Services copy what they
 * mutate, so every started instance begins from this state.
 */
export { SEED_ORDERS, SEED_PAYMENT_INTENTS } from './orders.js';
export { SEED_PRODUCTS, SEED_PRODUCTS_BY_ID } from './products.js';
export { PRODUCTS_WITHOUT_REVIEWS, SEED_REVIEWS } from './reviews.js';
