/**
 * Jest runs the TypeScript sources as ESM through SWC (type-checking is the separate
 * `tsc --noEmit` step of `npm test`). Import specifiers end in `.js` as NodeNext wants;
 * the mapper points them back at the `.ts` sources.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 20000,
  // Integration suites each start their own redis-server, IdP and downstream servers on
  // free loopback ports, so they can run in parallel workers.
  maxWorkers: 2,
};
