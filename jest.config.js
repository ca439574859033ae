// Three projects: unit (no services), integration (real Postgres, Redis, Temporal dev server, simulators), replay.
// `npm test` runs all three; a missing service fails the run in globalSetup with a message saying how to get it.
//
// jose 6 is ESM-only (`"type": "module"`, its `exports` has only `types` and `default`). Jest resolves `default`
// to dist/webapi/index.js, so its `.js` files are compiled to CommonJS by @swc/jest like our `.ts`; every other
// package under node_modules stays untransformed.
const transform = {
  '^.+\\.ts$': ['@swc/jest'],
  '/node_modules/jose/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
};
const common = {
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  testTimeout: 120_000,
  maxWorkers: 1,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'replay',
      testMatch: ['<rootDir>/test/replay/**/*.test.ts'],
    },
  ],
};
