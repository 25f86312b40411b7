import { useQuery } from '@apollo/client/react';
import { SearchProductsDocument } from '../../../client/generated/graphql.js';
import { ErrorNote } from '../ErrorNote.js';
import { Link } from '../Link.js';

/** Catalog search, one page at a time ("More" follows pageInfo.endCursor). */
export function Search({ query }: { query: string }) {
  const { data, loading, error, fetchMore } = useQuery(SearchProductsDocument, {
    variables: { query, first: 10 },
    skip: query === '',
  });
  if (query === '') return <p>Type something to search the catalog.</p>;
  if (loading && !data) return <p className="muted">Searching…</p>;
  if (error && !data) return <ErrorNote error={error} />;
  const page = data?.searchProducts;
  const nodes = page?.nodes ?? [];
  return (
    <section>
      <h1>Results for “{query}”</h1>
      {nodes.length === 0 ? <p>Nothing found.</p> : null}
      <ul className="products">
        {nodes.map((p) => (
          <li key={p.id} className="card" data-testid="search-result">
            <Link to={`/products/${encodeURIComponent(p.id)}`}>{p.name}</Link> <span>{p.price.formatted}</span>
            {p.rating ? <span className="muted"> · ★ {p.rating.average.toFixed(1)}</span> : null}
            {p.inStock ? null : <span className="muted"> · out of stock</span>}
          </li>
        ))}
      </ul>
      {page?.pageInfo.hasNextPage ? (
        <button
          type="button"
          onClick={() =>
            void fetchMore({
              variables: { after: page.pageInfo.endCursor },
              updateQuery: (prev, { fetchMoreResult }) => {
                const before = prev.searchProducts;
                const more = fetchMoreResult.searchProducts;
                if (!before || !more) return fetchMoreResult;
                return { ...fetchMoreResult, searchProducts: { ...more, nodes: [...before.nodes, ...more.nodes] } };
              },
            })
          }
        >
          More
        </button>
      ) : null}
    </section>
  );
}
