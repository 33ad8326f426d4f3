// Unit tests of the API client, the outbox and the pages/components (miniprogram-simulate's pure-JS compiler,
// `wx` mocked). The contract test against a real app is contract/contract.js, run by tests/test_miniprogram.py.
module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/__tests__/**/*.test.js'],
  setupFiles: ['<rootDir>/__tests__/setup.js'],
}
