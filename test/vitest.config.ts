import { culmVitestConfig } from '@culm/vitest-preset'

export default culmVitestConfig({
  test: { include: ['**/*.test.ts'], exclude: ['dist/**', 'node_modules/**'] },
})
