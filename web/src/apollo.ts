import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import type { DocumentNode } from 'graphql';
import manifest from '../../client/generated/persisted-query-manifest.json';

/** Operation name → its id in the manifest codegen writes (the BFF's trusted documents). */
const idsByName = new Map(manifest.operations.map((op) => [op.name, op.id]));

/**
 * Every operation goes out as its manifest id (`extensions.persistedQuery.sha256Hash`),
 * never as text: production runs only listed documents. The id is looked up by name,
 * not hashed from the text Apollo Client prints (its layout differs from the manifest's).
 */
const persistedQueries = new PersistedQueryLink({
  generateHash: (document: DocumentNode) => {
    const operation = document.definitions.find((d) => d.kind === 'OperationDefinition');
    const name = operation?.kind === 'OperationDefinition' ? operation.name?.value : undefined;
    const id = name === undefined ? undefined : idsByName.get(name);
    if (id === undefined) throw new Error(`operation ${name ?? '(anonymous)'} is not in the manifest: run npm run codegen`);
    return id;
  },
});

/**
 * The one Apollo Client of the app. Same origin as the BFF: the browser attaches the
 * HttpOnly session cookie itself; the app never sees a token or the cookie.
 */
export const client = new ApolloClient({
  link: ApolloLink.from([persistedQueries, new HttpLink({ uri: '/graphql', credentials: 'same-origin' })]),
  cache: new InMemoryCache(),
});
