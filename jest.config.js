/**
 * Jest runs TypeScript through swc (no type-check; `npm run typecheck` does that).
 * Octokit and its helpers ship ES modules only: Node loads them with require(esm), jest cannot, so
 * swc turns those packages into CommonJS too.
 */
const ESM_ONLY = ['@octokit', 'universal-user-agent', 'before-after-hook', 'json-with-bigint'];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
    '^.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // everything under node_modules is left alone except the ESM-only packages (and @octokit/request's own content-type 3)
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)(?<!@octokit/request/node_modules/)`],
  // its exports offer `import` only, which jest's resolver does not pick
  moduleNameMapper: { '^@octokit/webhooks-methods$': '<rootDir>/node_modules/@octokit/webhooks-methods/dist-node/index.js' },
  testTimeout: 60000,
};
