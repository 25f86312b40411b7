import { expect } from '@jest/globals';
import { describeRotation } from '../support/rotation.js';

/**
 * CATALOG_API_KEY_FILE rotated under load, the service first and the file first (see
 * test/support/rotation.ts). The file is rewritten in place here (truncate, then write),
 * the harder case for a reader: it may catch the file empty.
 */

describeRotation({
  service: 'catalog',
  fileSetting: 'CATALOG_API_KEY_FILE',
  keys: ['catalog-rotation-first-0123456789', 'catalog-rotation-second-0123456789', 'catalog-rotation-third-0123456789'],
  signIn: false,
  query: `{ product(id: "p1") { id name } }`,
  expectAnswer: ({ status, body }) => {
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.product).toMatchObject({ id: 'p1', name: expect.any(String) });
  },
  keyOf: (r) => r.headers['x-api-key'] as string | undefined,
  write: 'in-place',
});
