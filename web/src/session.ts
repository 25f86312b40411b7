import { useEffect, useState } from 'react';

/** `GET /auth/user`'s answer (docs/http-and-config.md): who is signed in, never a token. */
export interface SessionUser {
  readonly sub: string;
  readonly name?: string;
  readonly email?: string;
  /** When the session ends if nothing else happens (ISO 8601). */
  readonly sessionExpiresAt: string;
  /** Open this (a navigation, not a fetch) to sign out at the BFF and the IdP. */
  readonly logoutUrl: string;
}

export type SessionState =
  | { readonly status: 'loading' }
  | { readonly status: 'signed-out' }
  | { readonly status: 'signed-in'; readonly user: SessionUser }
  | { readonly status: 'unavailable' };

/** How often the app asks when the session ends. */
const POLL_MS = 30_000;

/**
 * Polls `GET /auth/user?slide=false` (with the `X-CSRF: 1` the BFF asks of its JSON
 * endpoints). `slide=false` reads the expiry without extending it, so an idle tab left
 * open does not keep the session alive forever.
 */
export function useSession(): SessionState {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  useEffect(() => {
    let stopped = false;
    const check = async () => {
      try {
        const res = await fetch('/auth/user?slide=false', { headers: { 'X-CSRF': '1' }, credentials: 'same-origin' });
        if (stopped) return;
        if (res.status === 401) return setState({ status: 'signed-out' });
        if (!res.ok) return setState({ status: 'unavailable' });
        setState({ status: 'signed-in', user: (await res.json()) as SessionUser });
      } catch {
        if (!stopped) setState({ status: 'unavailable' });
      }
    };
    void check();
    const timer = window.setInterval(() => void check(), POLL_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, []);
  return state;
}

/** Where the sign-in button goes: the BFF's login, coming back to this page. */
export function loginHref(returnTo: string): string {
  return `/auth/login?returnTo=${encodeURIComponent(returnTo)}`;
}
