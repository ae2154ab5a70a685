import { type OpenedRuntime, openRuntime } from '@culm/store'
import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'
import { afterAll, beforeAll, it } from 'vitest'
import { describeRuntime } from './harness.js'
import { scenarios } from './scenarios/index.js'

// One fresh database for this file (node ids are unique, so scenarios need no more isolation).
// If MariaDB cannot be reached, every scenario fails with the connection error: never a skip.
let scratch: ScratchDatabase | undefined
let store: Promise<OpenedRuntime> | undefined

function open(): Promise<OpenedRuntime> {
  store ??= (async () => {
    scratch = await createScratchDatabase()
    return openRuntime(scratch.url)
  })()
  return store
}

beforeAll(async () => {
  await open().catch(() => undefined)
})

afterAll(async () => {
  await (await store?.catch(() => undefined))?.close()
  await scratch?.drop()
})

describeRuntime(
  'MySQL (KyselyRuntime)',
  async () => (await open()).runtime,
  scenarios,
  (title, fn) => it(title, fn),
)
