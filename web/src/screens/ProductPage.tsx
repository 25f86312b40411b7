import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { PlaceOrderDocument, ProductPageDocument } from '../../../client/generated/graphql.js';
import { ErrorNote } from '../ErrorNote.js';
import { loginHref } from '../session.js';
import { PayButton } from './PayButton.js';

/** One product, its rating and newest reviews, and checkout of a quantity of it. */
export function ProductPage({ id, signedIn }: { id: string; signedIn: boolean }) {
  const { data, loading, error } = useQuery(ProductPageDocument, { variables: { id } });
  if (loading && !data) return <p className="muted">Loading…</p>;
  if (error && !data) return <ErrorNote error={error} />;
  const product = data?.product;
  if (!product) return <p>This product does not exist.</p>;
  return (
    <article className="card">
      <h1>{product.name}</h1>
      <p className="price">{product.price.formatted}</p>
      {product.description ? <p>{product.description}</p> : null}
      {product.rating ? (
        <p className="muted">
          ★ {product.rating.average.toFixed(1)} from {product.rating.count} reviews
        </p>
      ) : null}
      {!product.inStock ? <p>Out of stock.</p> : signedIn ? <Checkout productId={product.id} /> : <a className="button" href={loginHref(`/products/${encodeURIComponent(product.id)}`)}>Sign in to buy</a>}
      <h2>Reviews</h2>
      {product.reviews === null ? <p className="muted">Reviews are unavailable right now.</p> : null}
      {product.reviews?.length === 0 ? <p className="muted">No reviews yet.</p> : null}
      <ul className="reviews">
        {product.reviews?.map((r) => (
          <li key={r.id} data-testid="review">
            <strong>{'★'.repeat(r.rating)}</strong> {r.title} <span className="muted">by {r.author ?? 'anonymous'}</span>
            {r.body ? <p>{r.body}</p> : null}
          </li>
        ))}
      </ul>
    </article>
  );
}

/** Places an order of this product; a retry of the same click sends the same idempotency key. */
function Checkout({ productId }: { productId: string }) {
  const [quantity, setQuantity] = useState(1);
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const [place, { data, loading, error }] = useMutation(PlaceOrderDocument);
  const order = data?.placeOrder;
  if (order) {
    return (
      <div className="card" data-testid="placed-order" data-order-id={order.id}>
        <p role="status">
          Order {order.id} placed: {order.total.formatted} ({order.status})
        </p>
        <PayButton orderId={order.id} />
      </div>
    );
  }
  return (
    <form
      className="checkout"
      onSubmit={(e) => {
        e.preventDefault();
        void place({ variables: { input: { idempotencyKey, lines: [{ productId, quantity }] } } }).catch(() => undefined);
      }}
    >
      <label>
        Quantity{' '}
        <input type="number" min={1} max={99} value={quantity} onChange={(e) => setQuantity(Math.max(1, Number(e.target.value) || 1))} />
      </label>
      <button type="submit" disabled={loading}>
        Place order
      </button>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}
