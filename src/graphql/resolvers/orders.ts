import type {
  MutationResolvers,
  OrderLineResolvers,
  OrderResolvers,
  PlaceOrderInput,
} from '../__generated__/resolvers-types.js';
import { requireUser } from '../context.js';
import { badUserInput, withArgumentPath } from '../errors.js';
import { checkId } from './arguments.js';
import { money } from './money.js';

const MAX_LINES = 50;
const MAX_QUANTITY = 99;
/** Client-generated keys (UUIDs and the like); bounded and plain so they are safe in a header. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,255}$/;

function validatePlaceOrder(input: PlaceOrderInput): PlaceOrderInput {
  if (!IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
    throw badUserInput(
      'input.idempotencyKey',
      'input.idempotencyKey must be 8 to 255 letters, digits or . _ : - (a UUID is ideal).',
    );
  }
  if (input.lines.length === 0 || input.lines.length > MAX_LINES) {
    throw badUserInput('input.lines', `input.lines must hold 1 to ${MAX_LINES} lines.`);
  }
  input.lines.forEach((line, i) => {
    checkId(`input.lines[${i}].productId`, line.productId);
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      throw badUserInput(
        `input.lines[${i}].quantity`,
        `input.lines[${i}].quantity must be a whole number from 1 to ${MAX_QUANTITY}.`,
      );
    }
  });
  return input;
}

export const Mutation: MutationResolvers = {
  placeOrder: async (_root, { input }, ctx) => {
    const user = requireUser(ctx);
    const { idempotencyKey, lines } = validatePlaceOrder(input);
    const order = await withArgumentPath(
      ctx.services.orders.placeOrder(
        user,
        { idempotencyKey, lines: lines.map(({ productId, quantity }) => ({ productId, quantity })) },
        ctx.call,
      ),
      (field) => `input.${field}`,
    );
    ctx.loaders.order.prime(order.id, order);
    return order;
  },
};

export const Order: OrderResolvers = {
  total: (o) => money(o.totalCents, o.currency),
  lines: (o) => o.lines.map((line) => ({ ...line, currency: o.currency })),
  payment: (o, _args, ctx) => (o.paymentId ? ctx.loaders.paymentIntent.load(o.paymentId) : null),
};

export const OrderLine: OrderLineResolvers = {
  product: (line, _args, ctx) => ctx.loaders.product.load(line.productId),
  unitPrice: (line) => money(line.unitPriceCents, line.currency),
};
