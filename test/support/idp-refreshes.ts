import type { Stack } from './stack.js';

/**
 * Counts the refresh-token grants the stack's IdP handled (succeeded or failed), as the
 * IdP itself saw them: what "exactly one refresh" is asserted on.
 */
export function countRefreshes(stack: Stack): () => number {
  let n = 0;
  const isRefresh = (ctx: { oidc: { params?: Record<string, unknown> } }) => ctx.oidc.params?.grant_type === 'refresh_token';
  stack.idp.provider.on('grant.success', (ctx) => void (isRefresh(ctx) && n++));
  stack.idp.provider.on('grant.error', (ctx) => void (isRefresh(ctx) && n++));
  return () => n;
}
