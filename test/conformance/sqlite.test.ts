import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type OpenedRuntime, openRuntime } from '@culm/store'
import { afterAll, it } from 'vitest'
import { describeRuntime } from './harness.js'
import { scenarios } from './scenarios/index.js'

const folder = mkdtempSync(join(tmpdir(), 'culm-conformance-sqlite-'))
let opened: OpenedRuntime[] = []
let count = 0

afterAll(() => rmSync(folder, { recursive: true, force: true }))

// A fresh SQLite file per scenario, closed when the scenario ends.
describeRuntime(
  'SQLite (KyselyRuntime)',
  async () => {
    const store = await openRuntime(`sqlite:${join(folder, `scenario-${++count}.db`)}`)
    opened.push(store)
    return store.runtime
  },
  scenarios,
  (title, fn) =>
    it(title, async () => {
      try {
        await fn()
      } finally {
        const stores = opened
        opened = []
        await Promise.all(stores.map((store) => store.close()))
      }
    }),
)
