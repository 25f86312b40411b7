import type { Credential } from '../downstream/credential.js';
import type { CallOptions } from '../downstream/index.js';
import type { RequestNotes } from '../observability/access-log.js';
import type { RequestLogger } from '../observability/logger.js';
import type { DownstreamClients, Loaders } from '../services/registry.js';
import { unauthenticated } from './errors.js';
import type { ViewerModel } from './models.js';

/**
 * Everything a resolver may use, built fresh for each request. Nothing user-scoped is
 * shared between requests; the downstream clients are process-wide (they hold only
 * pools and service credentials).
 */
export interface GraphQLContext {
  /** The request's logger: every line carries its request id (`lazyChild`). */
  readonly logger: RequestLogger;
  /** The signed-in user, or null. */
  readonly viewer: ViewerModel | null;
  /** The user's access token for the orders service, or null without a session. */
  readonly user: Credential | null;
  /**
   * Passed to every downstream call: the request id, the request's deadline and its
   * budget of downstream calls (`GRAPHQL_MAX_DOWNSTREAM_CALLS`).
   */
  readonly call: CallOptions;
  readonly loaders: Loaders;
  readonly services: DownstreamClients;
  /** The request's notes for its access line (the operation's name), in `res.locals`. */
  readonly access: RequestNotes;
}

/** The user's credential, or an UNAUTHENTICATED error for operations that need one. */
export function requireUser(ctx: GraphQLContext): Credential {
  if (!ctx.user) throw unauthenticated();
  return ctx.user;
}
