import { type Component, ComponentRegistry, type LazyVariable } from '@culm/engine'
import { parseTiming, timingOutputs } from '@culm/plugin-sleep-timer'

const isOne = (value: unknown): boolean => Number(value) === 1

/** Copies every input but the system ones to the outputs. */
function copyInputs(
  inputs: Record<string, unknown>,
  setOutput: (k: string, v: unknown) => void,
): void {
  for (const [key, value] of Object.entries(inputs)) {
    if (key !== '_loop' && key !== '_inner_loop') setOutput(key, value)
  }
}

/** Polls with interval 0: copies its inputs to its outputs, finishes on its first schedule. */
export const debugNode: Component = {
  code: 'debug_node',
  name: 'Debug node',
  test: true,
  interval: 0,
  execute(data) {
    copyInputs(data.inputs, data.setOutput)
  },
  schedule(_data, _parent, _callback, controls) {
    controls.finishSchedule()
  },
}

/** Fails (without ex_data) unless input `bit` is 1. */
export const failCtrlNode: Component = {
  code: 'fail_ctrl_node',
  name: 'Fail control node',
  test: true,
  inputs: [{ key: 'bit', type: 'int', required: true }],
  execute(data) {
    return isOne(data.getInput('bit'))
  },
}

/** Waits for one callback; fails if the callback data's `bit` is 0. */
export const callbackNode: Component = {
  code: 'callback_node',
  name: 'Callback node',
  test: true,
  execute() {
    return true
  },
  schedule(data, _parent, callbackData) {
    const bit = (callbackData as { bit?: unknown } | undefined)?.bit
    data.setOutput('callback_data', callbackData)
    return !(bit !== undefined && Number(bit) === 0)
  },
}

/** Takes several callbacks: fails on `bit` 0, finishes after 5, counts them in `_scheduled_times`. */
export const multiCallbackNode: Component = {
  code: 'multi_callback_node',
  name: 'Multi-callback node',
  test: true,
  multiCallback: true,
  outputs: [{ key: '_scheduled_times', type: 'int' }],
  execute() {
    return true
  },
  schedule(data, _parent, callbackData, controls) {
    const bit = (callbackData as { bit?: unknown } | undefined)?.bit
    if (bit !== undefined && Number(bit) === 0) return false
    const times = controls.scheduleTimes + 1
    data.setOutput('_scheduled_times', times)
    if (times >= 5) controls.finishSchedule()
    return true
  },
}

/** Spends input `time` seconds in execute. */
export const dummyExecNode: Component = {
  code: 'dummy_exec_node',
  name: 'Dummy execute node',
  test: true,
  async execute(data) {
    const seconds = Number(data.getInput('time', 0)) || 0
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  },
}

/** Outputs `loop` (its `_loop`) and copies its inputs. */
export const loopCountNode: Component = {
  code: 'loop_count_node',
  name: 'Loop count node',
  test: true,
  outputs: [{ key: 'loop', type: 'int' }],
  execute(data) {
    copyInputs(data.inputs, data.setOutput)
    data.setOutput('loop', data.getInput('_loop'))
  },
}

/**
 * Fails at loop 1 unless input `can_go` is true; else copies its inputs and outputs `loop` (its
 * `_loop`), as `loop_count_node` does.
 */
export const failAtSecondNode: Component = {
  code: 'fail_at_second_node',
  name: 'Fail at second node',
  test: true,
  outputs: [{ key: 'loop', type: 'int' }],
  execute(data) {
    if (Number(data.getInput('_loop')) === 1 && !data.getInput('can_go', false)) return false
    copyInputs(data.inputs, data.setOutput)
    data.setOutput('loop', data.getInput('_loop'))
    return true
  },
}

/**
 * Waits until `bk_timing` (seconds, or a date-time as the Python component takes it; see
 * `@culm/plugin-sleep-timer`) with one poll a second, counting the seconds left down in its
 * outputs; the same outputs as the plugin (`type`, `eta`, `timing_time`, `timing_seconds`).
 */
export const sleepTimer: Component = {
  code: 'sleep_timer',
  name: 'Sleep timer',
  test: true,
  interval: 1,
  inputs: [
    {
      key: 'bk_timing',
      name: 'timing',
      type: 'int',
      required: true,
      schema: { type: ['integer', 'string'] },
    },
    { key: 'force_check', type: 'bool', schema: { type: 'boolean' } },
  ],
  outputs: [
    { key: 'bk_timing', type: 'int' },
    { key: 'type', type: 'string' },
    { key: 'eta', type: 'string' },
    { key: 'timing_time', type: 'string' },
    { key: 'timing_seconds', type: 'int' },
  ],
  execute(data) {
    const given = data.getInput('bk_timing')
    const timing = parseTiming(
      given,
      Date.now(),
      data.getInput<unknown>('force_check', true) !== false,
    )
    if ('error' in timing) {
      data.setOutput('ex_data', timing.error)
      return false
    }
    for (const [key, value] of Object.entries(timingOutputs(given, timing)))
      data.setOutput(key, value)
    return true
  },
  schedule(data, _parent, _callback, controls) {
    // The first poll comes right after execute, then one a second (the clock's seconds).
    const left = Number(data.getOutput('timing_seconds', data.getInput('bk_timing')))
    if (!(left > 0)) controls.finishSchedule()
    else data.setOutput('timing_seconds', left - 1)
  },
}

/** Lazy variable: the value in upper case. */
export const upperCase: LazyVariable = {
  code: 'upper_case',
  getValue: (value) => String(value).toUpperCase(),
}

/** Lazy variable that always throws. */
export const raiseVariable: LazyVariable = {
  code: 'raise_variable',
  getValue: () => {
    throw new RangeError('raise_variable always raises')
  },
}

/** Every test kit component. */
export const testkitComponents: Component[] = [
  debugNode,
  failCtrlNode,
  callbackNode,
  multiCallbackNode,
  dummyExecNode,
  loopCountNode,
  failAtSecondNode,
  sleepTimer,
]

/** Every test kit lazy variable. */
export const testkitLazyVariables: LazyVariable[] = [upperCase, raiseVariable]

/** A registry holding the whole test kit. */
export function createTestkitRegistry(): ComponentRegistry {
  return new ComponentRegistry()
    .register(...testkitComponents)
    .registerLazy(...testkitLazyVariables)
}
