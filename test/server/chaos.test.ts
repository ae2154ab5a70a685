import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Chaos, chaosSeed } from './chaos.js'
import { DATABASES, startTestServer, type TestServer } from './harness.js'

/** How many pipelines run at once, and how long control calls rain on them. */
const PIPELINES = 30
const CHAOS_MS = 3000
const CALLERS = 4
/** How long driving every pipeline to its end may take. */
const DRIVE_MS = 60_000

for (const database of DATABASES) {
  describe(`control calls at random on ${database}, while slow components run`, () => {
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(database, { realClock: true })
    })
    afterAll(async () => {
      await t?.close()
    })

    it('ends every pipeline, FINISHED or REVOKED, with no 5xx and no node left behind', async () => {
      const seed = chaosSeed()
      const chaos = new Chaos((path, body) => t.post(path, body), seed)
      expect(await chaos.start(PIPELINES), `seed ${seed}`).toBe(true)
      await chaos.disturb(CHAOS_MS, CALLERS)
      await chaos.driveToEnd(DRIVE_MS)
      await chaos.expectAllEnded(`chaos on ${database}`, seed)
    }, 120_000)
  })
}
