/**
 * The payments service's JSON, exactly as docs/downstream.md defines it. Codegen maps
 * GraphQL types onto these (mappers), so resolvers exist only where the shapes differ.
 */

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
