import { describe, expect, it } from 'vitest'
import { firstTick, nextTick, parseSchedule } from './schedule.js'

const schedule = (config: Record<string, unknown>, timezone = 'UTC') => {
  const { schedule, issues } = parseSchedule(config, { timezone })
  expect(issues).toEqual([])
  return schedule!
}

describe('schedules', () => {
  it('fires a tick missed for a long time once, then goes on from the present', () => {
    const every = schedule({ runMode: 'INTERVAL', interval: 10, intervalUnit: 'SECOND' })
    // Due at 0, fired at 35 s: the next is 40 s, not 10, 20 and 30 first.
    expect(nextTick(every, 0, 35_000)).toBe(40_000)
    expect(nextTick(every, 0, 1_000)).toBe(10_000)
    const cron = schedule({ runMode: 'CRON', cronExpression: '*/5 * * * * *' })
    const base = Date.UTC(2030, 0, 1, 0, 0, 0)
    expect(nextTick(cron, base, base + 12_300)).toBe(base + 15_000)
  })

  it('fires a SINGLE schedule once, at startAt when it is later', () => {
    const single = schedule({ runMode: 'SINGLE', startAt: 5_000 })
    expect(firstTick(single, 1_000)).toBe(5_000)
    expect(firstTick(single, 9_000)).toBe(9_000)
    expect(nextTick(single, 5_000, 6_000)).toBeNull()
  })

  it('reads Quartz steps (0/5) and the seconds field', () => {
    const cron = schedule({ runMode: 'CRON', cronExpression: '0 0/5 * * * ?' })
    const base = Date.UTC(2030, 0, 1, 0, 1, 0)
    const next = firstTick(cron, base)!
    expect(new Date(next).getUTCMinutes() % 5).toBe(0)
    expect(new Date(next).getUTCSeconds()).toBe(0)
  })

  it("reads a cron expression in the template's time zone, else in the server's", () => {
    const nightly = { runMode: 'CRON', cronExpression: '0 0 2 * * ?' }
    const base = Date.UTC(2030, 0, 1, 12, 0, 0)
    // 02:00 in Shanghai (UTC+8) is 18:00 UTC the day before.
    expect(firstTick(schedule(nightly, 'Asia/Shanghai'), base)).toBe(Date.UTC(2030, 0, 1, 18))
    expect(firstTick(schedule(nightly, 'UTC'), base)).toBe(Date.UTC(2030, 0, 2, 2))
    const own = schedule({ ...nightly, timezone: 'America/New_York' }, 'Asia/Shanghai')
    expect(own.timezone).toBe('America/New_York')
    expect(firstTick(own, base)).toBe(Date.UTC(2030, 0, 2, 7))
    // Across a change of summer time the wall-clock hour holds: 02:00 New York is 06:00 UTC then.
    expect(firstTick(own, Date.UTC(2030, 6, 1, 12))).toBe(Date.UTC(2030, 6, 2, 6))
    for (const timezone of ['Mars/Olympus', '', 8]) {
      expect(parseSchedule({ ...nightly, timezone }, { timezone: 'UTC' }).issues).toEqual([
        {
          field: 'data.executionConfig.timezone',
          message: 'must be a time zone name such as Asia/Shanghai or UTC, or null',
        },
      ])
    }
  })

  it('caps retries at what the engine allows', () => {
    expect(parseSchedule({ runMode: 'SINGLE', retryCount: 11 }).issues[0]?.field).toBe(
      'data.executionConfig.retryCount',
    )
    expect(schedule({ retryCount: 3, retryGapTime: 2 })).toMatchObject({
      retryCount: 3,
      retryGapSeconds: 2,
    })
  })
})
