import { defineComponent, fail } from '@culm/sdk'

interface Inputs {
  bk_timing: number
}

interface Outputs {
  bk_timing: number
}

/**
 * Waits `bk_timing` seconds without blocking: it polls at once, then once a second, and finishes
 * on the poll that completes the time, so the engine's clock (and a paused pipeline) governs the wait.
 */
export const sleepTimer = defineComponent<Inputs, Outputs>({
  code: 'sleep_timer',
  name: 'Sleep timer',
  group: 'Timing',
  description: 'Waits bk_timing seconds by polling',
  inputs: {
    type: 'object',
    properties: {
      bk_timing: {
        type: 'integer',
        minimum: 0,
        title: 'timing',
        description: 'Seconds to wait',
      },
    },
    required: ['bk_timing'],
  },
  outputs: {
    type: 'object',
    properties: { bk_timing: { type: 'integer', title: 'timing' } },
  },
  interval: 1,
  execute(ctx) {
    const timing = Number(ctx.data.bk_timing)
    if (!Number.isInteger(timing) || timing < 0) {
      return fail(`bk_timing must be a number of seconds, got ${String(ctx.data.bk_timing)}`)
    }
    ctx.setOutput('bk_timing', timing)
    return true
  },
  schedule(ctx) {
    // The first poll comes right after execute, then one a second: the poll that has seen
    // bk_timing earlier ones is bk_timing seconds in.
    if (ctx.scheduleTimes >= Number(ctx.data.bk_timing)) ctx.finish()
  },
})
