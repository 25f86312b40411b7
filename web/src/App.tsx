import { type FormEvent, useState } from 'react';
import { Link } from './Link.js';
import { navigate, routeOf, useLocation } from './router.js';
import { Dashboard } from './screens/Dashboard.js';
import { ProductPage } from './screens/ProductPage.js';
import { Search } from './screens/Search.js';
import { SignIn } from './screens/SignIn.js';
import { loginHref, type SessionUser, useSession } from './session.js';

/** The shell: header with search and session, then the screen the path names. */
export function App() {
  const location = useLocation();
  const session = useSession();
  const route = routeOf(location);
  const here = location.pathname + location.search;

  let body;
  if (session.status === 'loading') body = <p className="muted">Loading…</p>;
  else if (session.status === 'unavailable' && route.screen === 'dashboard') body = <p role="alert">Your account cannot be reached right now. Please try again in a moment.</p>;
  else if (route.screen === 'search') body = <Search query={route.query} />;
  else if (route.screen === 'product') body = <ProductPage id={route.id} signedIn={session.status === 'signed-in'} />;
  else if (route.screen === 'not-found') body = <p>No such page. <Link to="/">Back to the shop</Link></p>;
  else if (session.status === 'signed-out') body = <SignIn returnTo={here} />;
  else body = <Dashboard />;

  return (
    <>
      <header className="top">
        <Link to="/" className="brand">
          Shop
        </Link>
        <SearchBox initial={route.screen === 'search' ? route.query : ''} />
        {session.status === 'signed-in' ? <Account user={session.user} /> : null}
        {session.status === 'signed-out' ? (
          <a className="button" href={loginHref(here)}>
            Sign in
          </a>
        ) : null}
      </header>
      <main>{body}</main>
    </>
  );
}

function SearchBox({ initial }: { initial: string }) {
  const [text, setText] = useState(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) navigate(`/search?q=${encodeURIComponent(text.trim())}`);
  };
  return (
    <form role="search" onSubmit={submit}>
      <input type="search" aria-label="Search products" placeholder="Search products" value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit">Search</button>
    </form>
  );
}

function Account({ user }: { user: SessionUser }) {
  const ends = new Date(user.sessionExpiresAt);
  return (
    <div className="account">
      <span data-testid="user-name">{user.name ?? user.sub}</span>
      <span className="muted" data-testid="session-expiry" title={ends.toISOString()}>
        session ends {ends.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
      </span>
      {/* A navigation, not a fetch: the BFF ends the session and sends the browser to the IdP. */}
      <a className="button" href={user.logoutUrl}>
        Sign out
      </a>
    </div>
  );
}
