import type {
  ProductResolvers,
  QueryResolvers,
  RatingResolvers,
} from '../__generated__/resolvers-types.js';
import { badUserInput, withArgumentPath } from '../errors.js';
import { checkId, idsArgument, sizeArgument } from './arguments.js';
import { money } from './money.js';

const MAX_QUERY_LENGTH = 200;
const MAX_CURSOR_LENGTH = 512;

export const Query: QueryResolvers = {
  product: (_root, args, ctx) => ctx.loaders.product.load(checkId('id', args.id)),

  products: async (_root, args, ctx) => {
    const ids = idsArgument(args.ids);
    if (ids.length === 0) return [];
    // loadMany keeps a failure in its own slot; graphql-js turns an Error in a list
    // slot into an error at that index, so one bad batch does not hide the others.
    return (await ctx.loaders.product.loadMany(ids)) as never;
  },

  searchProducts: async (_root, args, ctx) => {
    const query = args.query.trim();
    if (query.length === 0 || query.length > MAX_QUERY_LENGTH) {
      throw badUserInput('query', `query must be 1 to ${MAX_QUERY_LENGTH} characters.`);
    }
    if (args.after != null && (args.after.length === 0 || args.after.length > MAX_CURSOR_LENGTH)) {
      throw badUserInput('after', 'after must be a cursor returned by a previous page.');
    }
    // At most the catalog's own page size (`limit` 1..50): see LIST_SIZES.
    const limit = sizeArgument('Query.searchProducts', args.first, 20);
    const page = await withArgumentPath(
      ctx.services.catalog.searchProducts({ query, limit, cursor: args.after ?? null }, ctx.call),
      // The catalog's parameter names, as the client's arguments call them.
      (field) => ({ cursor: 'after', q: 'query', limit: 'first' })[field] ?? field,
    );
    for (const product of page.items) ctx.loaders.product.prime(product.id, product);
    return {
      nodes: page.items,
      pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: page.nextCursor },
    };
  },
};

export const Product: ProductResolvers = {
  price: (p) => money(p.priceCents, p.currency),
  inStock: (p) => p.stock > 0,
  rating: async (p, _args, ctx) => {
    const reviews = await ctx.loaders.productReviews.load(p.id);
    return reviews && reviews.count > 0 ? reviews : null;
  },
  reviews: async (p, args, ctx) => {
    const first = sizeArgument('Product.reviews', args.first, 3);
    const reviews = await ctx.loaders.productReviews.load(p.id);
    return reviews ? reviews.reviews.slice(0, first) : [];
  },
};

export const Rating: RatingResolvers = {
  average: (r) => r.averageRating,
};
