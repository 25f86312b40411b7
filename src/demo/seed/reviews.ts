import type { ProductReviewsDTO, ReviewDTO } from '../../services/reviews/types.js';
import { SEED_PRODUCTS } from './products.js';

/** [rating, title, body]: written to fit any product of the shop. */
const TEMPLATES: ReadonlyArray<readonly [number, string, string]> = [
  [5, 'Exactly what I hoped for', 'Well made, arrived quickly and looks even better than in the photos.'],
  [5, 'Use it every day', 'Six weeks in and it is still the thing I reach for first. No complaints at all.'],
  [4, 'Very good, small quibble', 'Quality is great. The packaging could use less plastic, but the product itself is lovely.'],
  [4, 'Solid choice', 'Does the job well and feels sturdy. A little pricier than elsewhere, but worth it.'],
  [5, 'Bought a second one', 'Liked it so much that I got another as a gift. Both were a hit.'],
  [3, 'Fine, not amazing', 'It works as described. I expected a bit more for the price.'],
  [4, 'Nice design', 'Looks beautiful in the kitchen and is easy to clean.'],
  [2, 'Not for me', 'Smaller than I imagined from the pictures. Customer service was helpful with the return.'],
  [5, 'Excellent quality', 'You can tell a lot of care went into this. Highly recommended.'],
  [4, 'Happy with it', 'Good value and arrived well packed. Would order again.'],
  [1, 'Arrived damaged', 'The box was crushed and the item chipped. The replacement was fine, though.'],
  [5, 'A small daily luxury', 'Makes the morning routine feel special. Love it.'],
];

const AUTHORS = ['Marie D.', 'Jonas K.', 'Sofia R.', 'Lukas M.', 'Emma B.', 'Noah F.', 'Lea S.', 'Paul W.', 'Clara H.', 'Ben T.'];

/** Products with no reviews at all (every eighth, and the gift card): the "absent" case. */
export const PRODUCTS_WITHOUT_REVIEWS: ReadonlySet<string> = new Set(
  SEED_PRODUCTS.filter((_, i) => (i + 1) % 8 === 0 || i === SEED_PRODUCTS.length - 1).map((p) => p.id),
);

const DAY_MS = 24 * 60 * 60 * 1000;
const BASE = Date.UTC(2025, 0, 6, 9, 30);

function buildReviews(): ProductReviewsDTO[] {
  let nextId = 1;
  const out: ProductReviewsDTO[] = [];
  SEED_PRODUCTS.forEach((product, i) => {
    if (PRODUCTS_WITHOUT_REVIEWS.has(product.id)) return;
    const count = 1 + ((i * 37) % 6);
    const reviews: ReviewDTO[] = [];
    for (let k = 0; k < count; k++) {
      const [rating, title, body] = TEMPLATES[(i * 5 + k * 7) % TEMPLATES.length]!;
      reviews.push({
        id: `r${nextId++}`,
        rating,
        title,
        body,
        author: AUTHORS[(i + k * 3) % AUTHORS.length]!,
        createdAt: new Date(BASE + ((i * 13 + k * 29) % 300) * DAY_MS + k * 3_600_000).toISOString(),
      });
    }
    reviews.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const average = reviews.reduce((sum, r) => sum + r.rating, 0) / reviews.length;
    out.push({
      productId: product.id,
      averageRating: Math.round(average * 10) / 10,
      count: reviews.length,
      reviews,
    });
  });
  return out;
}

/** The demo reviews, per product, newest first. */
export const SEED_REVIEWS: readonly ProductReviewsDTO[] = Object.freeze(buildReviews());
