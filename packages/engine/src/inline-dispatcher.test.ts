import { describe, expect, it } from 'vitest'
import { InlineDispatcher } from './inline-dispatcher.js'
import { ManualClock } from './ports/clock.js'

describe('InlineDispatcher', () => {
  it('runs at most `concurrency` steps at once and is idle when none is queued', async () => {
    const dispatcher = new InlineDispatcher({ concurrency: 2 })
    let running = 0
    let peak = 0
    const done: string[] = []
    dispatcher.bind({
      async execute(_processId, nodeId) {
        running++
        peak = Math.max(peak, running)
        await new Promise((resolve) => setImmediate(resolve))
        running--
        done.push(nodeId)
      },
      schedule: async () => {},
    })
    for (const id of ['a', 'b', 'c', 'd', 'e']) dispatcher.execute('p', id)
    await dispatcher.idle()
    expect(done.sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(peak).toBe(2)
  })

  it('runs a delayed schedule when the clock reaches it, and idle() does not wait for it', async () => {
    const clock = new ManualClock()
    const dispatcher = new InlineDispatcher({ clock })
    const seen: string[] = []
    dispatcher.bind({
      execute: async () => {},
      schedule: async (_p, _n, scheduleId) => {
        seen.push(scheduleId)
      },
    })
    dispatcher.schedule('p', 'n', 'later', 5000)
    dispatcher.schedule('p', 'n', 'now', 0)
    await dispatcher.idle()
    expect(seen).toEqual(['now'])
    expect(dispatcher.pendingTimers).toBe(1)
    await clock.advance(4999, () => dispatcher.idle())
    expect(seen).toEqual(['now'])
    await clock.advance(1, () => dispatcher.idle())
    expect(seen).toEqual(['now', 'later'])
  })

  it('keeps the errors steps throw and goes on with the next ones', async () => {
    const dispatcher = new InlineDispatcher()
    dispatcher.bind({
      async execute(_p, nodeId) {
        if (nodeId === 'bad') throw new RangeError('broken step')
      },
      schedule: async () => {},
    })
    dispatcher.execute('p', 'bad')
    dispatcher.execute('p', 'good')
    await dispatcher.idle()
    expect(dispatcher.errors).toHaveLength(1)
  })
})
