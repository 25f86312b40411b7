import { useQuery } from '@apollo/client/react';
import { DashboardDocument } from '../../../client/generated/graphql.js';
import { ErrorNote } from '../ErrorNote.js';
import { Link } from '../Link.js';
import { PayButton } from './PayButton.js';

/** The signed-in user's orders, each with its lines, products, ratings and payment. */
export function Dashboard() {
  // Network as well as cache: an order placed on another screen shows when coming back.
  const { data, loading, error } = useQuery(DashboardDocument, { fetchPolicy: 'cache-and-network' });
  if (loading && !data) return <p className="muted">Loading your orders…</p>;
  const me = data?.me;
  if (!me) return error ? <ErrorNote error={error} /> : <p>Not signed in.</p>;
  return (
    <section>
      <h1>Your orders, {me.name}</h1>
      {error ? <ErrorNote error={error} /> : null}
      {me.orders === null ? <p>Your orders cannot be shown right now.</p> : null}
      {me.orders?.length === 0 ? <p>No orders yet. Search the catalog to place one.</p> : null}
      <ul className="orders">
        {me.orders?.map((order) => (
          <li key={order.id} className="card" data-testid="order" data-order-id={order.id}>
            <h2>
              Order {order.id} <span className={`status ${order.status.toLowerCase()}`}>{order.status}</span>
            </h2>
            <p className="muted">
              {new Date(order.createdAt).toLocaleDateString()} · total {order.total.formatted}
              {order.payment ? ` · payment ${order.payment.status}` : ''}
            </p>
            <ul>
              {order.lines.map((line, i) => (
                <li key={line.product?.id ?? i}>
                  {line.quantity} ×{' '}
                  {line.product ? <Link to={`/products/${encodeURIComponent(line.product.id)}`}>{line.product.name}</Link> : 'unknown product'}{' '}
                  at {line.unitPrice.formatted}
                  {line.product?.rating ? <span className="muted"> · ★ {line.product.rating.average.toFixed(1)} ({line.product.rating.count})</span> : null}
                </li>
              ))}
            </ul>
            {order.status === 'PENDING' ? <PayButton orderId={order.id} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
