import { culmVitestConfig } from '@culm/vitest-preset'

// The test loads the generated plugin in an isolate: Node's startup snapshot must be off.
export default culmVitestConfig({
  test: {
    include: ['*.test.js'],
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    testTimeout: 120_000,
  },
})
