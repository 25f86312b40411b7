import { useMutation } from '@apollo/client/react';
import { PayOrderDocument } from '../../../client/generated/graphql.js';
import { ErrorNote } from '../ErrorNote.js';

/** Starts the payment of one order and shows where it stands. */
export function PayButton({ orderId }: { orderId: string }) {
  const [pay, { data, loading, error }] = useMutation(PayOrderDocument);
  const intent = data?.payOrder;
  if (intent) {
    return (
      <p role="status" data-testid="payment">
        Payment {intent.id} for {intent.amount.formatted}: {intent.status}
      </p>
    );
  }
  return (
    <>
      <button type="button" disabled={loading} onClick={() => void pay({ variables: { orderId } }).catch(() => undefined)}>
        Pay order {orderId}
      </button>
      {error ? <ErrorNote error={error} /> : null}
    </>
  );
}
