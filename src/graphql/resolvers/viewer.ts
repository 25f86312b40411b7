import type { QueryResolvers, ViewerResolvers } from '../__generated__/resolvers-types.js';
import { requireUser } from '../context.js';
import { checkId, sizeArgument } from './arguments.js';

export const Query: QueryResolvers = {
  me: (_root, _args, ctx) => ctx.viewer,
};

export const Viewer: ViewerResolvers = {
  orders: async (_viewer, args, ctx) => {
    // At most the orders service's own cap on `GET /me/orders?limit=`: see LIST_SIZES.
    const limit = sizeArgument('Viewer.orders', args.first, 10);
    const orders = await ctx.services.orders.myOrders(requireUser(ctx), limit, ctx.call);
    // Later `order(id)` or `payOrder` lookups in this request need no second call.
    for (const order of orders) ctx.loaders.order.prime(order.id, order);
    return orders;
  },
  order: (_viewer, args, ctx) => ctx.loaders.order.load(checkId('id', args.id)),
};
