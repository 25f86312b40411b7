// GraphiQL 5 edits with Monaco; these imports bundle Monaco's workers (Vite `?worker`), so
// nothing is fetched from a CDN. Must come before GraphiQL itself.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// The dashboard query the web app runs, preloaded as the first tab.
import dashboard from '../../client/operations/Dashboard.graphql?raw';
import './explorer.css';
import { headerFreeStorage } from './header-free-storage.js';

/**
 * Same origin as the BFF: the session cookie of a developer signed in through
 * `/auth/login` goes with every request, so the explorer runs as that user. No token is
 * ever in this page; the cookie is HttpOnly.
 */
const fetcher = createGraphiQLFetcher({
  url: new URL('/graphql', window.location.origin).href,
  fetch: (input, init) => fetch(input, { ...init, credentials: 'include' }),
  // No @defer or @stream here: plain JSON answers.
  enableIncrementalDelivery: false,
});

createRoot(document.getElementById('explorer')!).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={[{ query: dashboard }]}
      defaultQuery={dashboard}
      isHeadersEditorEnabled
      // Headers typed in the editor stay in this page: never in saved tabs nor in history.
      shouldPersistHeaders={false}
      storage={headerFreeStorage()}
    >
      <GraphiQL.Logo>
        <a href="/auth/login?returnTo=/graphiql" title="Sign in (the explorer sends your session cookie)">
          shop BFF
        </a>
      </GraphiQL.Logo>
    </GraphiQL>
  </StrictMode>,
);
