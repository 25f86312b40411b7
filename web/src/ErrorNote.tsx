import { CombinedGraphQLErrors } from '@apollo/client/errors';

/** A failed operation in words a shopper can act on; the BFF's codes pick the wording. */
export function ErrorNote({ error }: { error: Error }) {
  const codes = CombinedGraphQLErrors.is(error) ? error.errors.map((e) => e.extensions?.code) : [];
  const text = codes.includes('UNAUTHENTICATED')
    ? 'Your session has ended. Please sign in again.'
    : codes.includes('BAD_USER_INPUT')
      ? (CombinedGraphQLErrors.is(error) ? error.errors[0]?.message : undefined) ?? 'That input is not valid.'
      : codes.includes('DOWNSTREAM_UNAVAILABLE')
        ? 'Part of the shop is unavailable right now; some details may be missing.'
        : 'Something went wrong. Please try again.';
  return (
    <p role="alert" className="error">
      {text}
    </p>
  );
}
