import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServer, TOKEN } from '../plugins/server-process.js'
import { Chaos, chaosSeed } from '../server/chaos.js'
import { sendRequest } from '../server/harness.js'

const PIPELINES = 30
const CHAOS_MS = 2000
const CALLERS = 4
const DRIVE_MS = 60_000

describe('a server killed while its pipelines are under control calls, on MySQL', () => {
  let scratch: ScratchDatabase | undefined
  let folder = ''
  let server: ServerProcess | undefined

  beforeAll(async () => {
    // No skip: an unreachable MariaDB fails here with the connection error.
    scratch = await createScratchDatabase()
    folder = mkdtempSync(join(tmpdir(), 'culm-restart-'))
  })
  afterAll(async () => {
    server?.stop()
    await scratch?.drop()
    rmSync(folder, { recursive: true, force: true })
  })

  const start = () =>
    startServer(
      { CULM_DATABASE_URL: scratch!.url, CULM_LOG_LEVEL: 'warn', CULM_LEASE_SECONDS: '2' },
      folder,
    )

  it('starts again once the lease runs out, and every pipeline still ends with no 5xx', async () => {
    const seed = chaosSeed()
    server = await start()
    const chaos = new Chaos(
      (path, body) => sendRequest(server!.url, 'POST', path, { body, token: TOKEN }),
      seed,
    )
    expect(await chaos.start(PIPELINES), `seed ${seed}`).toBe(true)
    await chaos.disturb(CHAOS_MS, CALLERS)

    // Killed with components running, callbacks taken and pipelines paused.
    const killed = server
    const exited = new Promise((resolve) => killed.child.once('exit', resolve))
    killed.child.kill('SIGKILL')
    await exited
    // It waits for the killed server's lease (2 s) to run out.
    server = await start()

    await chaos.disturb(CHAOS_MS, CALLERS)
    await chaos.driveToEnd(DRIVE_MS)
    await chaos.expectAllEnded('restart chaos', seed)
  }, 150_000)
})
