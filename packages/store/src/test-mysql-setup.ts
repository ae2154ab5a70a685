import type { TestProject } from 'vitest/node'
import { StoreError } from './errors.js'
import { maskUrl } from './open-runtime.js'
import { createScratchDatabase, testMysqlUrl } from './testing.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The URL of the MySQL database made for this test run. */
    mysqlUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>
  try {
    scratch = await createScratchDatabase()
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new StoreError(
      'CONNECTION_FAILED',
      `@culm/store's tests need MySQL at CULM_TEST_MYSQL_URL (${maskUrl(testMysqlUrl())}): ${detail}`,
      { cause: error },
    )
  }
  project.provide('mysqlUrl', scratch.url)
  return () => scratch.drop()
}
