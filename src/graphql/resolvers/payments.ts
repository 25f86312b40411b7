import type { MutationResolvers, PaymentIntentResolvers } from '../__generated__/resolvers-types.js';
import { requireUser } from '../context.js';
import { badUserInput, notFound } from '../errors.js';
import { checkId } from './arguments.js';
import { money } from './money.js';

export const Mutation: MutationResolvers = {
  /**
   * The amount always comes from the orders service, never from the client. The
   * idempotency key is derived from the order id, so paying twice (a double click, a
   * retry after a timeout) returns the same intent instead of charging twice.
   */
  payOrder: async (_root, args, ctx) => {
    requireUser(ctx);
    const orderId = checkId('orderId', args.orderId);
    const order = await ctx.loaders.order.load(orderId);
    if (!order) throw notFound('Order');
    if (order.paymentId) {
      const existing = await ctx.loaders.paymentIntent.load(order.paymentId);
      if (existing) return existing;
    }
    if (order.status !== 'PENDING') {
      throw badUserInput('orderId', `Order ${order.id} is ${order.status.toLowerCase()} and cannot be paid.`);
    }
    return ctx.services.payments.createPaymentIntent(
      { amount: order.totalCents, currency: order.currency.toLowerCase(), orderId: order.id },
      `order-${order.id}-payment`,
      ctx.call,
    );
  },
};

export const PaymentIntent: PaymentIntentResolvers = {
  clientSecret: (pi) => pi.client_secret,
  amount: (pi) => money(pi.amount, pi.currency),
};
