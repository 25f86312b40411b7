import { secretEquals } from '../secrets/secret-equals.js';

/** One account of the development identity provider. */
export interface DemoUser {
  /** The OIDC `sub`: stable, so the demo orders can be seeded for it. */
  readonly sub: string;
  /** What the login form's `login` field takes. */
  readonly username: string;
  /** Public on purpose: these accounts exist only in the zero-config demo. */
  readonly password: string;
  readonly name: string;
  readonly email: string;
}

/** The demo accounts: `alice`/`alice` and `bob`/`bob`. Their subs are their usernames. */
export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  { sub: 'alice', username: 'alice', password: 'alice', name: 'Alice Martin', email: 'alice@example.com' },
  { sub: 'bob', username: 'bob', password: 'bob', name: 'Bob Schneider', email: 'bob@example.com' },
]);

export function findDemoUserBySub(sub: string): DemoUser | undefined {
  return DEMO_USERS.find((u) => u.sub === sub);
}

/**
 * The user whose username and password both match, or undefined. Compared through
 * fixed-length digests in constant time: the demo should not teach the wrong habit.
 */
export function checkDemoCredentials(username: string, password: string): DemoUser | undefined {
  const user = DEMO_USERS.find((u) => u.username === username);
  const ok = secretEquals(password, user?.password ?? 'no such user');
  return user && ok ? user : undefined;
}
