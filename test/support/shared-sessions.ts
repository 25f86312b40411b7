import { expect } from '@jest/globals';
import type { BffInstance, GraphQLResult, Stack } from './stack.js';

/**
 * Checks shared by the suites of instances on one store (one Redis, a cluster, a Redis
 * restarted under them): a signed-in answer, and the refresh that must happen once
 * however many instances need it.
 */

/** Who `ME` asks for, with an order so the user's token reaches the orders service. */
export const ME = /* GraphQL */ `{ me { id orders(first: 1) { id } } }`;

/** The dev IdP's access tokens live 300 s; this is past that. */
export const PAST_EXPIRY_MS = 301_000;

/** `ME` answered for `sub`: 200, no errors. */
export function expectSignedIn(r: GraphQLResult, sub = 'alice'): void {
  expect({ status: r.status, errors: r.body.errors, id: r.body.data?.me?.id }).toEqual({ status: 200, errors: undefined, id: sub });
}

/**
 * Signs alice in on the first instance, moves every instance's clock past her access
 * token's expiry and sends 20 `ME` requests at once, spread over `instances`: all 20
 * succeed and the IdP saw exactly one refresh (`refreshes` counts them, see
 * idp-refreshes.ts). The clock is reset afterwards.
 */
export async function expectOneRefreshFor20ParallelRequests(stack: Stack, instances: readonly BffInstance[], refreshes: () => number): Promise<void> {
  const jar = await stack.login('alice', 'alice', instances[0]);
  const before = refreshes();
  stack.clock.advance(PAST_EXPIRY_MS);
  try {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stack.graphql(ME, { jar, instance: instances[i % instances.length] })));
    for (const r of results) expectSignedIn(r);
    expect(refreshes() - before).toBe(1);
  } finally {
    stack.clock.reset();
  }
}
