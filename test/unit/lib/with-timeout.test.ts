import { describe, expect, it } from '@jest/globals';
import { withTimeout } from '../../../src/lib/with-timeout.js';

describe('withTimeout', () => {
  it("resolves to the promise's value when it settles first", async () => {
    await expect(withTimeout(Promise.resolve('ready'), 60_000)).resolves.toBe('ready');
  });

  it('resolves to undefined when the time runs out first', async () => {
    await expect(withTimeout(new Promise<string>(() => {}), 1)).resolves.toBeUndefined();
  });

  it("passes the promise's rejection through", async () => {
    await expect(withTimeout(Promise.reject(new Error('refused')), 60_000)).rejects.toThrow('refused');
  });
});
