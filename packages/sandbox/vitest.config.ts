import { culmVitestConfig } from '@culm/vitest-preset'

// isolated-vm needs Node's startup snapshot off, in every worker that starts an isolate.
export default culmVitestConfig({
  test: { pool: 'forks', execArgv: ['--no-node-snapshot'] },
})
