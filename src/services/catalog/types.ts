/**
 * The catalog service's JSON, exactly as docs/downstream.md defines it. Codegen maps
 * GraphQL types onto these (mappers), so resolvers exist only where the shapes differ.
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
