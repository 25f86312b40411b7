import type { Resolvers } from '../__generated__/resolvers-types.js';
import * as catalog from './catalog.js';
import { Money } from './money.js';
import * as orders from './orders.js';
import * as payments from './payments.js';
import * as viewer from './viewer.js';

/**
 * All resolvers, one file per domain. Fields whose GraphQL shape equals the DTO's have
 * no resolver at all: the default resolver reads the property (see codegen mappers).
 */
export const resolvers: Resolvers = {
  Query: { ...viewer.Query, ...catalog.Query },
  Mutation: { ...orders.Mutation, ...payments.Mutation },
  Viewer: viewer.Viewer,
  Product: catalog.Product,
  Rating: catalog.Rating,
  Order: orders.Order,
  OrderLine: orders.OrderLine,
  PaymentIntent: payments.PaymentIntent,
  Money,
};
