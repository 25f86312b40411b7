import { useSyncExternalStore } from 'react';

/**
 * The app's few screens need paths and a back button, not a routing library: the
 * location is the History API's, and every change is announced with one event.
 */
const CHANGE = 'shop:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

/** The current path and query, re-rendering on navigation. */
export function useLocation(): URL {
  const href = useSyncExternalStore(subscribe, snapshot);
  return new URL(href, window.location.origin);
}

/** Goes to a path of this app without reloading the page. */
export function navigate(to: string): void {
  window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

/** The screen a path names; unknown paths show "not found". */
export type Route =
  | { readonly screen: 'dashboard' }
  | { readonly screen: 'product'; readonly id: string }
  | { readonly screen: 'search'; readonly query: string }
  | { readonly screen: 'not-found' };

export function routeOf(url: URL): Route {
  const path = url.pathname;
  if (path === '/') return { screen: 'dashboard' };
  if (path === '/search') return { screen: 'search', query: url.searchParams.get('q') ?? '' };
  const product = /^\/products\/([^/]+)$/.exec(path);
  if (product) return { screen: 'product', id: decodeURIComponent(product[1]!) };
  return { screen: 'not-found' };
}
