import { buildTree, EmptyEndEvent, EmptyStartEvent, ServiceActivity } from '@culm/tree'
import { describe, expect, it } from 'vitest'
import { ComponentRegistry } from './component-registry.js'
import { createEngine } from './engine.js'
import { InlineDispatcher } from './inline-dispatcher.js'
import { MemoryRuntime } from './memory-runtime.js'
import { ManualClock } from './ports/clock.js'
import type { Runtime } from './ports/runtime.js'
import { backOffMs, MAX_STEP_ATTEMPTS } from './steps.js'
import { failingStorage } from './test-support.js'

function oneActivity() {
  const start = new EmptyStartEvent()
  const activity = new ServiceActivity({ componentCode: 'counted' })
  start.extend(activity).extend(new EmptyEndEvent())
  return { tree: buildTree(start), activityId: activity.id }
}

function engineOn(runtime: Runtime, clock: ManualClock) {
  let calls = 0
  const components = new ComponentRegistry().register({
    code: 'counted',
    execute: () => {
      calls++
    },
  })
  const engine = createEngine({
    runtime,
    clock,
    components,
    dispatcher: new InlineDispatcher({ clock }),
  })
  return { engine, calls: () => calls }
}

describe('steps interrupted by the storage', () => {
  it('back off on the injected clock, growing to a cap, and run the step again', async () => {
    const memory = new MemoryRuntime()
    const { runtime, storage } = failingStorage(memory, 'deadlock found when trying to get lock')
    const clock = new ManualClock()
    const { engine, calls } = engineOn(runtime, clock)
    const { tree } = oneActivity()
    storage.down = 4
    const started = await engine.api.runPipeline({ pipeline: tree })
    expect(started.result).toBe(true)
    await engine.idle()
    expect((await memory.getState(tree.id))?.name).toBe('FINISHED')
    expect(calls()).toBe(1)
    // Waited on the clock (a held clock stalls nothing), 10, 20, 40, 80 ms.
    expect(clock.sleeps).toEqual([1, 2, 3, 4].map(backOffMs))
    expect(clock.sleeps).toEqual([10, 20, 40, 80])
    expect(backOffMs(MAX_STEP_ATTEMPTS)).toBe(200)
  })

  it('let the interruption through after the last attempt, with no back-off after it', async () => {
    const memory = new MemoryRuntime()
    const { runtime, storage } = failingStorage(memory, 'deadlock found when trying to get lock')
    const clock = new ManualClock()
    const { engine } = engineOn(runtime, clock)
    const { tree } = oneActivity()
    storage.down = MAX_STEP_ATTEMPTS
    const started = await engine.api.runPipeline({ pipeline: tree })
    expect(started.result).toBe(false)
    expect(started.message).toMatch(/deadlock/)
    expect(clock.sleeps).toHaveLength(MAX_STEP_ATTEMPTS - 1)
    expect(await memory.getState(tree.id)).toBeUndefined()
  })
})
