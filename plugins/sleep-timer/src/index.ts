import { defineComponent, fail } from '@culm/sdk'
import { nextPoll, parseTiming, timingOutputs } from './timing.js'

export type { Timing, TimingType } from './timing.js'
export { formatTime, MAX_POLL_SECONDS, nextPoll, parseTiming, timingOutputs } from './timing.js'

interface Inputs {
  bk_timing: number | string
  force_check?: boolean
}

interface Outputs {
  bk_timing: number | string
  type: string
  eta: string
  timing_time: string
  timing_seconds: number
}

/**
 * Waits until `bk_timing` without blocking: a number of seconds, or a date-time
 * (`%Y-%m-%d %H:%M:%S`, UTC unless it carries an offset). It polls at once, then when the time
 * has come (at least once an hour), so the engine's clock (and a paused pipeline) governs the wait.
 */
export const sleepTimer = defineComponent<Inputs, Outputs>({
  code: 'sleep_timer',
  name: 'Sleep timer',
  group: 'Timing',
  description: 'Waits bk_timing seconds, or until the date-time bk_timing, by polling',
  inputs: {
    type: 'object',
    properties: {
      bk_timing: {
        type: ['integer', 'string'],
        title: 'timing',
        description: 'Seconds to wait (up to 8 digits), or a date-time %Y-%m-%d %H:%M:%S (UTC)',
      },
      force_check: {
        type: 'boolean',
        title: 'force check',
        description: 'Refuse a date-time that is not later than now (true)',
      },
    },
    required: ['bk_timing'],
  },
  outputs: {
    type: 'object',
    properties: {
      bk_timing: { type: ['integer', 'string'], title: 'timing' },
      type: { type: 'string', enum: ['seconds', 'datetime'], title: 'form of the timing' },
      eta: { type: 'string', title: 'wake time (ISO 8601, UTC)' },
      timing_time: { type: 'string', title: 'wake time (%Y-%m-%d %H:%M:%S, UTC)' },
      timing_seconds: { type: 'integer', title: 'seconds left to wait' },
    },
  },
  interval: 1,
  execute(ctx) {
    const timing = parseTiming(ctx.data.bk_timing, Date.now(), ctx.data.force_check !== false)
    if ('error' in timing) return fail(timing.error)
    for (const [key, value] of Object.entries(timingOutputs(ctx.data.bk_timing, timing)))
      ctx.setOutput(key as keyof Outputs, value as never)
    return true
  },
  schedule(ctx) {
    const poll = nextPoll(Number(ctx.outputs.timing_seconds ?? ctx.data.bk_timing))
    if ('done' in poll) {
      ctx.finish()
      return
    }
    ctx.setOutput('timing_seconds', poll.left)
    ctx.pollAfter(poll.after)
  },
})
