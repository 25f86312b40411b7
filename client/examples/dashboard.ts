/**
 * How a web client uses the generated documents: compiled by `tsc` (so the types are
 * proven), never run by the test suite. Copy the shape, not the file.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { useQuery } from '@apollo/client/react';
import type { DocumentNode } from 'graphql';
import { DashboardDocument } from '../generated/graphql.js';
import manifest from '../generated/persisted-query-manifest.json' with { type: 'json' };

/** Operation name → id in the manifest; what `@apollo/persisted-query-lists` does for you. */
const idsByName = new Map(manifest.operations.map((op) => [op.name, op.id]));

/**
 * Sends `extensions.persistedQuery.sha256Hash` (the manifest's id) instead of the text.
 * The id is looked up by operation name, not hashed from the document Apollo Client
 * prints: its text differs in layout from the manifest's, the hash would not match.
 */
const persistedQueries = new PersistedQueryLink({
  generateHash: (document: DocumentNode) => {
    const operation = document.definitions.find((d) => d.kind === 'OperationDefinition');
    const id = operation?.kind === 'OperationDefinition' ? idsByName.get(operation.name?.value ?? '') : undefined;
    if (id === undefined) throw new Error('operation is not in the persisted-query manifest: run npm run codegen');
    return id;
  },
});

export const client = new ApolloClient({
  // The session cookie is HttpOnly and same-site: the browser attaches it, the app never sees it.
  link: ApolloLink.from([persistedQueries, new HttpLink({ uri: '/graphql', credentials: 'same-origin' })]),
  cache: new InMemoryCache(),
});

/** The first order's first product's rating, typed end to end: no cast, no hand-written type. */
export async function firstRating(): Promise<number | undefined> {
  const { data } = await client.query({ query: DashboardDocument });
  const average: number | undefined = data?.me?.orders?.[0]?.lines[0]?.product?.rating?.average;
  // @ts-expect-error `ratings` is not a field of Product: the result type is the operation's.
  void data?.me?.orders?.[0]?.lines[0]?.product?.ratings;
  return average;
}

/** The same in a React component's hook; `useQuery` infers data and variables from the document. */
export function useFirstOrderTotal(): string | undefined {
  const { data } = useQuery(DashboardDocument);
  // @ts-expect-error Dashboard takes no variables.
  useQuery(DashboardDocument, { variables: { first: 5 } });
  return data?.me?.orders?.[0]?.total.formatted;
}
