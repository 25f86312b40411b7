import type { QueryResolvers, ViewerResolvers } from '../__generated__/resolvers-types.js';
import { requireUser } from '../context.js';
import { checkId, intInRange } from './arguments.js';

/** The orders service's own cap on `GET /me/orders?limit=`. */
const MAX_ORDERS = 100;

export const Query: QueryResolvers = {
  me: (_root, _args, ctx) => ctx.viewer,
};

export const Viewer: ViewerResolvers = {
  orders: async (_viewer, args, ctx) => {
    const limit = intInRange('first', args.first, 1, MAX_ORDERS, 10);
    const orders = await ctx.services.orders.myOrders(requireUser(ctx), limit, ctx.call);
    // Later `order(id)` or `payOrder` lookups in this request need no second call.
    for (const order of orders) ctx.loaders.order.prime(order.id, order);
    return orders;
  },
  order: (_viewer, args, ctx) => ctx.loaders.order.load(checkId('id', args.id)),
};
