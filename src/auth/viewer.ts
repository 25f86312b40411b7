import type { Request } from 'express';
import type { ViewerModel } from '../graphql/models.js';
import '../session/session-data.js';

/**
 * The signed-in user for GraphQL's `viewer`/`me`, from the claims kept in the session at
 * login: no decryption, no I/O. Null without a signed-in session.
 */
export function viewerFromRequest(req: Request): ViewerModel | null {
  const auth = req.session?.auth;
  return auth ? { id: auth.sub, name: auth.name, email: auth.email } : null;
}
