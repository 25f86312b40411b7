import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serverAudits } from 'graphql-http';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The contract promises GraphQL over HTTP: graphql-http's audit suite (the spec's own
 * reference checks) runs against the real app. Our CSRF defences must not cost any
 * MUST of the spec; SHOULD-level deviations are listed by the audits as warnings.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

describe('GraphQL over HTTP', () => {
  const audits = serverAudits({ url: () => `${stack.bff.url}/graphql` });

  it.each(audits.filter((a) => a.name.startsWith('MUST')).map((a) => [a.name, a] as const))('%s', async (_name, audit) => {
    const result = await audit.fn();
    expect(result).toMatchObject({ status: 'ok' });
  });
});
