import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type OfflineServer,
  send,
  startOfflineServer,
  startServerProcess,
  USER_HEADER,
  until,
} from './harness.js'
import { SEED_CREATE_BODY } from './seed-003.js'

// biome-ignore lint/suspicious/noExplicitAny: templates and answers are read by field
type Json = any

const ENGINE_KEY = 'schedules'
const q = `engineKey=${ENGINE_KEY}`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Ticks in order, each a whole number of seconds (at least one) after the one before: none
 * fired twice. On a loaded machine a pass may come more than a second late, and the tick it
 * skips is not replayed, so the gaps are not asserted to be exactly one second.
 */
function expectSeconds(ticks: number[]): void {
  for (let i = 1; i < ticks.length; i++) {
    const gap = ticks[i]! - ticks[i - 1]!
    expect(gap % 1000).toBe(0)
    expect(gap).toBeGreaterThanOrEqual(1000)
  }
}

/** The seed's template with one echo job and the given schedule. */
function scheduled(pipelineKey: string, executionConfig: Json): Json {
  const body = JSON.parse(SEED_CREATE_BODY)
  body.pipelineKey = pipelineKey
  body.data.nodes.push({ nodeId: 'job', type: 'echo', params: { hello: 'world' } })
  body.data.executionConfig = { ...body.data.executionConfig, ...executionConfig }
  return body
}

describe('offline schedules on MySQL', () => {
  let scratch: ScratchDatabase
  let s: OfflineServer
  let kernel: string
  let engineId: number

  /** Every run of a template, oldest first, read through the history call of `server`. */
  const runs = async (id: number, server: OfflineServer = s): Promise<Json[]> => {
    const answer = await server.request(
      'GET',
      `${kernel}/pipeline/${id}/historyList?page=1&size=100&engineId=${engineId}&${q}`,
    )
    expect(answer.body.status).toBe(0)
    return [...answer.body.data.list].reverse()
  }
  const create = async (body: Json, server: OfflineServer = s): Promise<number> => {
    const created = await server.request(
      'POST',
      `${kernel}/pipeline/template/${engineId}/create?${q}`,
      {
        body,
      },
    )
    expect(created.body.status).toBe(0)
    return created.body.data.id
  }
  const switchOn = async (id: number, server: OfflineServer = s) => {
    const on = await server.request(
      'POST',
      `${kernel}/pipeline/${engineId}/${id}/start?once=false&${q}`,
      {
        body: { data: ' ' },
      },
    )
    expect(on.body.data.crontabStatus).toBe('ON')
  }
  const switchOff = async (id: number, server: OfflineServer = s) => {
    const off = await server.request('POST', `${kernel}/pipeline/${engineId}/${id}/stop?${q}`, {
      body: { data: ' ' },
    })
    expect(off.body.data.crontabStatus).toBe('OFF')
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase()
    s = await startOfflineServer(scratch.url)
    const info = await s.request('GET', `/engine-manager/v1/k8s/info/?engineKey=${ENGINE_KEY}`)
    kernel = `${info.body.data.url}/kernel/v1`
    engineId = info.body.data.engineId
  })
  afterAll(async () => {
    await s?.close()
    await scratch?.drop()
  })

  it('fires an every-second CRON schedule once per second while it is on', async () => {
    const id = await create(scheduled('cron', { runMode: 'CRON', cronExpression: '* * * * * *' }))
    const on = Date.now()
    await switchOn(id)
    await sleep(3500)
    await switchOff(id)
    const off = Date.now()
    await sleep(300)
    const fired = await runs(id)
    const ticks = fired.map((r) => r.tickTime)
    // Each tick is a whole second inside the window, fired once; none is skipped.
    expect(new Set(ticks).size).toBe(ticks.length)
    for (const tick of ticks) {
      expect(tick % 1000).toBe(0)
      expect(tick).toBeGreaterThanOrEqual(on)
      expect(tick).toBeLessThanOrEqual(off)
    }
    expectSeconds(ticks)
    expect(fired.length).toBeGreaterThanOrEqual(Math.floor((off - on) / 1000) - 1)
    expect(fired.length).toBeLessThanOrEqual(Math.ceil((off - on) / 1000))
    await until('the runs to finish', async () =>
      (await runs(id)).every((r) => r.status === 'FINISHED') ? true : undefined,
    )
    expect(fired.every((r) => r.trigger === 'schedule')).toBe(true)
    // Switched off, it fires no more.
    await sleep(1500)
    expect(await runs(id)).toHaveLength(fired.length)
  })

  it('fires an INTERVAL schedule from its startAt, one interval apart', async () => {
    const startAt = Date.now() + 1000
    const id = await create(
      scheduled('interval', { runMode: 'INTERVAL', interval: 1, intervalUnit: 'SECOND', startAt }),
    )
    await switchOn(id)
    await until('three runs', async () => ((await runs(id)).length >= 3 ? true : undefined))
    await switchOff(id)
    const ticks = (await runs(id)).map((r) => r.tickTime)
    expect(ticks[0]).toBe(startAt)
    expectSeconds(ticks)
  })

  it('starts the run of a SINGLE schedule delayTime after its tick, then switches it off', async () => {
    const id = await create(scheduled('delayed', { delayTime: 1, delayTimeUnit: 'SECOND' }))
    await switchOn(id)
    const [run] = await until('the delayed run', async () => {
      const found = await runs(id)
      return found.length > 0 ? found : undefined
    })
    expect(run.createTime - run.tickTime).toBeGreaterThanOrEqual(1000)
    const got = await s.request('GET', `${kernel}/pipeline/template/${engineId}/${id}/get?${q}`)
    expect(got.body.data.crontabStatus).toBe('OFF')
    await sleep(1200)
    expect(await runs(id)).toHaveLength(1)
  })

  it('fires each tick once with two server processes on one database', async () => {
    const second = await startServerProcess(scratch.url, 50)
    try {
      // Five every-second schedules: a few dozen ticks, each one claimed by both processes.
      const ids: number[] = []
      for (let i = 0; i < 5; i++) {
        ids.push(
          await create(
            scheduled(`two-processes-${i}`, { runMode: 'CRON', cronExpression: '* * * * * *' }),
          ),
        )
      }
      for (const id of ids) await switchOn(id)
      await sleep(4500)
      for (const id of ids) await switchOff(id)
      await sleep(300)
      const servers = new Set<string>()
      for (const id of ids) {
        const fired = await runs(id)
        // The second process reads the same schedule and runs.
        const fromSecond = await send(
          `${second.url}${kernel}/pipeline/${id}/historyList?page=1&size=100&${q}`,
          { headers: { [USER_HEADER]: '1' } },
        )
        expect(fromSecond.body.data.total).toBe(fired.length)
        const ticks = fired.map((r) => r.tickTime)
        expect(fired.length).toBeGreaterThanOrEqual(3)
        expect(new Set(ticks).size).toBe(ticks.length)
        expectSeconds(ticks)
        for (const run of fired) servers.add(run.server)
      }
      // Both processes started runs: the ticks were contended, and each ran once.
      expect(servers.size).toBe(2)
    } finally {
      await second.stop()
    }
  })

  it('keeps a schedule over a restart and fires the ticks missed meanwhile once', async () => {
    const id = await create(
      scheduled('restart', { runMode: 'CRON', cronExpression: '* * * * * *' }),
    )
    await switchOn(id)
    await until('two runs', async () => ((await runs(id)).length >= 2 ? true : undefined))
    // Given the only server stops for three seconds
    await s.close()
    const down = Date.now()
    await sleep(3000)
    s = await startOfflineServer(scratch.url)
    const up = Date.now()
    // When it is back, then the missed ticks fire once, and the schedule goes on
    await until('runs after the restart', async () =>
      (await runs(id)).filter((r) => r.createTime >= up).length >= 3 ? true : undefined,
    )
    await switchOff(id)
    const fired = await runs(id)
    expect(fired.filter((r) => r.createTime > down && r.createTime < up)).toHaveLength(0)
    const caughtUp = fired.filter((r) => r.createTime >= up && r.tickTime < up)
    expect(caughtUp).toHaveLength(1)
    const after = fired.filter((r) => r.tickTime >= up).map((r) => r.tickTime)
    expect(after.length).toBeGreaterThanOrEqual(2)
    expectSeconds(after)
  })
})
