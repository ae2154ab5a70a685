import { culmVitestConfig } from '@culm/vitest-preset'

export default culmVitestConfig()
