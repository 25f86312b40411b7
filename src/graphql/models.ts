import type { ProductDTO } from '../services/catalog/types.js';
import type { OrderLineDTO } from '../services/orders/types.js';

/**
 * GraphQL-side models for types that have no downstream DTO of their own. Codegen's
 * mappers bind the schema's types to these (see codegen.ts).
 */

/** The signed-in user, from the session's ID token claims (no token in here). */
export interface ViewerModel {
  id: string;
  name: string | null;
  email: string | null;
}

/** An amount in minor units; `formatted` is derived by its resolver. */
export interface MoneyModel {
  amount: number;
  currency: string;
}

export interface ProductConnectionModel {
  nodes: ProductDTO[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** An order line carries no currency of its own downstream; it inherits the order's. */
export interface OrderLineModel extends OrderLineDTO {
  currency: string;
}
