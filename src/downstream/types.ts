/**
 * The downstream services' JSON, exactly as `contracts/downstream.md` defines it.
 * Codegen maps GraphQL types onto these (mappers), so resolvers exist only where the
 * shapes differ.
 */

export interface ProductDTO {
  id: string;
  name: string;
  description?: string | null;
  priceCents: number;
  currency: string;
  imageUrl?: string | null;
  stock: number;
}

export interface ProductPageDTO {
  items: ProductDTO[];
  nextCursor: string | null;
}

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

export interface ReviewDTO {
  id: string;
  rating: number;
  title?: string | null;
  body?: string | null;
  author?: string | null;
  createdAt: string;
}

export interface ProductReviewsDTO {
  productId: string;
  averageRating: number;
  count: number;
  reviews: ReviewDTO[];
}

export type PaymentIntentStatusDTO =
  | 'requires_payment_method'
  | 'processing'
  | 'succeeded'
  | 'canceled';

export interface PaymentIntentDTO {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: PaymentIntentStatusDTO;
  client_secret: string;
  metadata: Record<string, string>;
}

/** Every service's list answer. */
export interface ItemsDTO<T> {
  items: T[];
}

/** Every service's error body. */
export interface ErrorBodyDTO {
  error: { code: string; message: string };
}
