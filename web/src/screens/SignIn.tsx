import { loginHref } from '../session.js';

/** What a visitor without a session sees on the dashboard's path. */
export function SignIn({ returnTo }: { returnTo: string }) {
  return (
    <section className="card">
      <h1>Welcome to the shop</h1>
      <p>Sign in to see your orders. You can search the catalog without signing in.</p>
      <p>
        <a className="button" href={loginHref(returnTo)}>
          Sign in to see your orders
        </a>
      </p>
    </section>
  );
}
