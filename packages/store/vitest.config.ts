import { culmVitestConfig } from '@culm/vitest-preset'

// The store's tests run on real SQLite and real MySQL; the global setup makes a fresh MySQL
// database for the run and fails the run if the server cannot be reached.
export default culmVitestConfig({ test: { globalSetup: ['./src/test-mysql-setup.ts'] } })
