import { defineComponent, defineLazyVariable } from '@culm/sdk'

// The test kit's components written with the SDK, so that the conformance suite runs them
// sandboxed too; `sleep_timer` lives in @culm/plugin-sleep-timer.

const SYSTEM = new Set(['_loop', '_inner_loop'])
const isOne = (value: unknown): boolean => Number(value) === 1
const anyObject = { type: 'object' } as const

function copyInputs(data: Record<string, unknown>, set: (k: string, v: never) => void): void {
  for (const [key, value] of Object.entries(data)) if (!SYSTEM.has(key)) set(key, value as never)
}

/** Polls with interval 0: copies its inputs to its outputs, finishes on its first schedule. */
export const debugNode = defineComponent({
  code: 'debug_node',
  name: 'Debug node',
  test: true,
  interval: 0,
  inputs: anyObject,
  outputs: anyObject,
  execute(ctx) {
    copyInputs(ctx.data, ctx.setOutput)
  },
  schedule(ctx) {
    ctx.finish()
  },
})

/** Fails (without ex_data) unless input `bit` is 1. */
export const failCtrlNode = defineComponent({
  code: 'fail_ctrl_node',
  name: 'Fail control node',
  test: true,
  inputs: { type: 'object', properties: { bit: { type: 'integer' } }, required: ['bit'] },
  outputs: anyObject,
  execute(ctx) {
    return isOne(ctx.data.bit)
  },
})

/** Waits for one callback; fails if the callback data's `bit` is 0. */
export const callbackNode = defineComponent({
  code: 'callback_node',
  name: 'Callback node',
  test: true,
  inputs: anyObject,
  outputs: anyObject,
  execute() {
    return true
  },
  schedule(ctx) {
    const bit = (ctx.callbackData as { bit?: unknown } | undefined)?.bit
    ctx.setOutput('callback_data', ctx.callbackData)
    return !(bit !== undefined && Number(bit) === 0)
  },
})

/** Takes several callbacks: fails on `bit` 0, finishes after 5, counts them in `_scheduled_times`. */
export const multiCallbackNode = defineComponent({
  code: 'multi_callback_node',
  name: 'Multi-callback node',
  test: true,
  multiCallback: true,
  inputs: anyObject,
  outputs: { type: 'object', properties: { _scheduled_times: { type: 'integer' } } },
  execute() {
    return true
  },
  schedule(ctx) {
    const bit = (ctx.callbackData as { bit?: unknown } | undefined)?.bit
    if (bit !== undefined && Number(bit) === 0) return false
    const times = ctx.scheduleTimes + 1
    ctx.setOutput('_scheduled_times', times)
    if (times >= 5) ctx.finish()
    return true
  },
})

/** Spends input `time` seconds in execute, waiting through the host. */
export const dummyExecNode = defineComponent({
  code: 'dummy_exec_node',
  name: 'Dummy execute node',
  test: true,
  inputs: anyObject,
  outputs: anyObject,
  async execute(ctx) {
    await ctx.sleep(Number(ctx.data.time ?? 0) || 0)
  },
})

/** Outputs `loop` (its `_loop`) and copies its inputs. */
export const loopCountNode = defineComponent({
  code: 'loop_count_node',
  name: 'Loop count node',
  test: true,
  inputs: anyObject,
  outputs: { type: 'object', properties: { loop: { type: 'integer' } } },
  execute(ctx) {
    copyInputs(ctx.data, ctx.setOutput)
    ctx.setOutput('loop', ctx.data._loop)
  },
})

/**
 * Fails at loop 1 unless input `can_go` is true; else copies its inputs and outputs `loop` (its
 * `_loop`), as `loop_count_node` does.
 */
export const failAtSecondNode = defineComponent({
  code: 'fail_at_second_node',
  name: 'Fail at second node',
  test: true,
  inputs: anyObject,
  outputs: { type: 'object', properties: { loop: { type: 'integer' } } },
  execute(ctx) {
    if (Number(ctx.data._loop) === 1 && !ctx.data.can_go) return false
    copyInputs(ctx.data, ctx.setOutput)
    ctx.setOutput('loop', ctx.data._loop as never)
    return true
  },
})

/** Lazy variable: the value in upper case. */
export const upperCase = defineLazyVariable({
  code: 'upper_case',
  getValue: (value) => String(value).toUpperCase(),
})

/** Lazy variable that always throws. */
export const raiseVariable = defineLazyVariable({
  code: 'raise_variable',
  getValue: () => {
    throw new RangeError('raise_variable always raises')
  },
})
