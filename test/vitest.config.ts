import { culmVitestConfig } from '@culm/vitest-preset'

// isolated-vm (the sandboxed suites) needs Node's startup snapshot off in every worker.
export default culmVitestConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
  },
})
