/**
 * The reviews service's JSON, exactly as docs/downstream.md defines it. Codegen maps
 * GraphQL types onto these (mappers), so resolvers exist only where the shapes differ.
 */

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
