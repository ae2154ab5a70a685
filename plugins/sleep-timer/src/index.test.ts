import { runComponent } from '@culm/sdk/testing'
import { describe, expect, it } from 'vitest'
import { sleepTimer } from './index.js'

describe('sleep_timer', () => {
  it('outputs the timing and polls once a second until the time has passed', async () => {
    const executed = await runComponent(sleepTimer, { inputs: { bk_timing: 3 } })
    expect(executed).toMatchObject({ success: true, outputs: { bk_timing: 3 } })
    const polls = []
    for (let times = 0; times <= 3; times++) {
      polls.push(
        await runComponent(sleepTimer, {
          phase: 'schedule',
          inputs: { bk_timing: 3 },
          outputs: executed.outputs,
          scheduleTimes: times,
        }),
      )
    }
    expect(polls.map((p) => [p.finished, p.pollAfterSeconds])).toEqual([
      [false, 1],
      [false, 1],
      [false, 1],
      [true, 1],
    ])
  })

  it('fails a timing that is not a number of seconds', async () => {
    const result = await runComponent(sleepTimer, { inputs: { bk_timing: 'soon' } })
    expect(result).toMatchObject({
      success: false,
      error: 'bk_timing must be a number of seconds, got soon',
    })
  })
})
