/**
 * The orders service's JSON, exactly as docs/downstream.md defines it. Codegen maps
 * GraphQL types onto these (mappers), so resolvers exist only where the shapes differ.
 */

export type OrderStatusDTO = 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELLED';

export interface OrderLineDTO {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderDTO {
  id: string;
  userId: string;
  status: OrderStatusDTO;
  createdAt: string;
  lines: OrderLineDTO[];
  totalCents: number;
  currency: string;
  paymentId: string | null;
}

export interface NewOrderLineDTO {
  productId: string;
  quantity: number;
}
