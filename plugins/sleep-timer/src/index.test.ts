import { runComponent } from '@culm/sdk/testing'
import { describe, expect, it } from 'vitest'
import { formatTime, MAX_POLL_SECONDS, nextPoll, parseTiming, sleepTimer } from './index.js'

const NOW = Date.UTC(2026, 11, 4, 8, 0, 0)

/** Runs the polls of a wait as the engine does, outputs carried over; answers the waits asked. */
async function polls(outputs: Record<string, unknown>) {
  const waits: number[] = []
  let carried = outputs
  for (let times = 0; times < 100; times++) {
    const poll = await runComponent(sleepTimer, {
      phase: 'schedule',
      inputs: { bk_timing: carried.bk_timing },
      outputs: carried,
      scheduleTimes: times,
    })
    expect(poll.success).toBe(true)
    if (poll.finished) return waits
    waits.push(poll.pollAfterSeconds!)
    carried = poll.outputs
  }
  throw new TypeError('the wait never ended')
}

describe('sleep_timer', () => {
  it('waits a number of seconds: polls at once, then once the time has come', async () => {
    const executed = await runComponent(sleepTimer, { inputs: { bk_timing: 3 } })
    expect(executed).toMatchObject({
      success: true,
      outputs: { bk_timing: 3, type: 'seconds', timing_seconds: 3 },
    })
    expect(executed.outputs.timing_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(await polls(executed.outputs)).toEqual([3])
    expect(await polls({ bk_timing: 0, timing_seconds: 0 })).toEqual([])
    const text = await runComponent(sleepTimer, { inputs: { bk_timing: '00000007' } })
    expect(text.outputs).toMatchObject({ bk_timing: 7, type: 'seconds', timing_seconds: 7 })
  })

  it('waits until a date-time given as the Python component takes it, an hour a poll at most', async () => {
    const eta = Date.now() + 2 * 3600_000 + 30_000
    const executed = await runComponent(sleepTimer, { inputs: { bk_timing: formatTime(eta) } })
    expect(executed.success).toBe(true)
    expect(executed.outputs).toMatchObject({
      type: 'datetime',
      timing_time: formatTime(eta),
      eta: new Date(Math.floor(eta / 1000) * 1000).toISOString(),
    })
    const seconds = Number(executed.outputs.timing_seconds)
    expect(seconds).toBeGreaterThan(2 * 3600)
    expect(await polls(executed.outputs)).toEqual([
      MAX_POLL_SECONDS,
      MAX_POLL_SECONDS,
      seconds - 2 * MAX_POLL_SECONDS,
    ])
  })

  it('reads seconds and date-times with or without an offset, and refuses the past', () => {
    expect(parseTiming(90, NOW)).toEqual({ type: 'seconds', seconds: 90, eta: NOW + 90_000 })
    expect(parseTiming('00000090', NOW)).toMatchObject({ type: 'seconds', seconds: 90 })
    expect(parseTiming('2026-12-04 08:01:00', NOW)).toEqual({
      type: 'datetime',
      seconds: 60,
      eta: NOW + 60_000,
    })
    expect(parseTiming('2026-12-04T16:01:00+08:00', NOW)).toMatchObject({ seconds: 60 })
    expect(parseTiming('2026-12-04 07:59:59', NOW)).toEqual({
      error: 'bk_timing 2026-12-04 07:59:59 must be later than now (2026-12-04 08:00:00 UTC)',
    })
    expect(parseTiming('2026-12-04 07:59:59', NOW, false)).toMatchObject({ seconds: 0 })
    for (const bad of [
      'soon',
      '123456789',
      -1,
      1.5,
      '2026-02-30 10:00:00',
      '2026-12-04 24:00:00',
    ]) {
      expect(parseTiming(bad, NOW)).toMatchObject({
        error: expect.stringMatching(/^bk_timing must be/),
      })
    }
    expect(nextPoll(0)).toEqual({ done: true })
  })

  it('fails a timing it cannot read, naming the forms it takes', async () => {
    const result = await runComponent(sleepTimer, { inputs: { bk_timing: 'soon' } })
    expect(result).toMatchObject({
      success: false,
      error:
        'bk_timing must be seconds (up to 8 digits) or a date-time (%Y-%m-%d %H:%M:%S), got soon',
    })
    const past = await runComponent(sleepTimer, { inputs: { bk_timing: '2001-01-01 00:00:00' } })
    expect(past.error).toMatch(/^bk_timing 2001-01-01 00:00:00 must be later than now/)
  })
})
