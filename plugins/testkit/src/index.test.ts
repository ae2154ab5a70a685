import type { ComponentCallInput } from '@culm/engine'
import { describe, expect, it } from 'vitest'
import { createTestkitRegistry } from './index.js'

const registry = createTestkitRegistry()
const call = (
  inputs: Record<string, unknown>,
  extra: Partial<ComponentCallInput> = {},
): ComponentCallInput => ({
  inputs,
  outputs: {},
  parentData: {},
  scheduleTimes: 0,
  nodeId: 'n',
  version: 'v',
  rootPipelineId: 'p',
  loop: 1,
  innerLoop: 1,
  ...extra,
})
const ref = (code: string) => ({ code, version: 'legacy' })

describe('the test kit', () => {
  it('registers every component with the schedule mode of the Python scenario suite', () => {
    expect(registry.info(ref('debug_node'))?.scheduleMode).toBe('poll')
    expect(registry.info(ref('callback_node'))?.scheduleMode).toBe('callback')
    expect(registry.info(ref('multi_callback_node'))?.scheduleMode).toBe('multi_callback')
    expect(registry.info(ref('fail_ctrl_node'))?.scheduleMode).toBe('none')
    expect(registry.info(ref('sleep_timer'))?.scheduleMode).toBe('poll')
  })

  it('debug_node copies its inputs and finishes on its first schedule', async () => {
    const executed = await registry.run(ref('debug_node'), 'execute', call({ a: 1, _loop: 1 }))
    expect(executed).toMatchObject({ success: true, outputs: { a: 1 } })
    const scheduled = await registry.run(ref('debug_node'), 'schedule', call({ a: 1 }))
    expect(scheduled).toMatchObject({ success: true, finished: true, pollAfterSeconds: 0 })
  })

  it('fail_ctrl_node fails unless bit is 1', async () => {
    expect((await registry.run(ref('fail_ctrl_node'), 'execute', call({ bit: 0 }))).success).toBe(
      false,
    )
    expect((await registry.run(ref('fail_ctrl_node'), 'execute', call({ bit: 1 }))).success).toBe(
      true,
    )
  })

  it('multi_callback_node counts callbacks, finishes at the fifth and fails on bit 0', async () => {
    const fourth = await registry.run(
      ref('multi_callback_node'),
      'schedule',
      call({}, { scheduleTimes: 3, callbackData: {} }),
    )
    expect(fourth).toMatchObject({
      success: true,
      finished: false,
      outputs: { _scheduled_times: 4 },
    })
    const fifth = await registry.run(
      ref('multi_callback_node'),
      'schedule',
      call({}, { scheduleTimes: 4, callbackData: {} }),
    )
    expect(fifth).toMatchObject({ success: true, finished: true, outputs: { _scheduled_times: 5 } })
    const zero = await registry.run(
      ref('multi_callback_node'),
      'schedule',
      call({}, { callbackData: { bit: 0 } }),
    )
    expect(zero.success).toBe(false)
  })

  it('sleep_timer polls at once, then once a second until bk_timing seconds have passed, and refuses a bad timing', async () => {
    const executed = await registry.run(ref('sleep_timer'), 'execute', call({ bk_timing: 3 }))
    expect(executed.outputs).toMatchObject({ bk_timing: 3, type: 'seconds', timing_seconds: 3 })
    let outputs = executed.outputs
    const finished: boolean[] = []
    for (let times = 0; times <= 3; times++) {
      const poll = await registry.run(
        ref('sleep_timer'),
        'schedule',
        call({ bk_timing: 3 }, { scheduleTimes: times, outputs }),
      )
      expect(poll.pollAfterSeconds).toBe(1)
      finished.push(poll.finished)
      outputs = poll.outputs
    }
    expect(finished).toEqual([false, false, false, true])
    const soon = new Date(Date.now() + 90_000).toISOString().slice(0, 19).replace('T', ' ')
    const dated = await registry.run(ref('sleep_timer'), 'execute', call({ bk_timing: soon }))
    expect(dated.outputs).toMatchObject({ type: 'datetime', timing_time: soon })
    expect(Number(dated.outputs.timing_seconds)).toBeGreaterThan(80)
    const bad = await registry.run(ref('sleep_timer'), 'execute', call({ bk_timing: 'soon' }))
    expect(bad.success).toBe(false)
    expect(String(bad.outputs.ex_data)).toMatch(/^bk_timing must be seconds \(up to 8 digits\)/)
  })

  it('loop_count_node outputs its loop and fail_at_second_node fails at loop 1 unless it can go', async () => {
    expect(
      (await registry.run(ref('loop_count_node'), 'execute', call({ _loop: 3, x: 1 }))).outputs,
    ).toEqual({ loop: 3, x: 1 })
    expect(
      (await registry.run(ref('fail_at_second_node'), 'execute', call({ _loop: 1 }))).success,
    ).toBe(false)
    expect(
      (await registry.run(ref('fail_at_second_node'), 'execute', call({ _loop: 1, can_go: true })))
        .success,
    ).toBe(true)
  })

  it('computes upper_case and raises in raise_variable', async () => {
    const context = { pipelineData: {}, innerLoop: 1 }
    expect(await registry.lazy('upper_case', 'abc', context)).toBe('ABC')
    await expect(registry.lazy('raise_variable', 'x', context)).rejects.toThrow(/always raises/)
  })
})
