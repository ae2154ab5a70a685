import { buildTree, EmptyEndEvent, EmptyStartEvent, ServiceActivity } from '@culm/tree'
import { describe, expect, it } from 'vitest'
import { ComponentRegistry } from './component-registry.js'
import { createEngine } from './engine.js'
import { RuntimeInterruptedError } from './errors.js'
import { InlineDispatcher } from './inline-dispatcher.js'
import { MemoryRuntime } from './memory-runtime.js'
import { ManualClock } from './ports/clock.js'
import type { Runtime } from './ports/runtime.js'
import { backOffMs, MAX_STEP_ATTEMPTS } from './steps.js'

/** A runtime whose next `interruptions` transactions are interrupted after their work ran. */
function interruptingRuntime(runtime: MemoryRuntime): {
  runtime: Runtime
  interrupt(n: number): void
} {
  let left = 0
  const proxy = new Proxy(runtime, {
    get(target, key, receiver) {
      if (key === 'transaction') {
        return async <T>(fn: (tx: Runtime) => Promise<T>): Promise<T> => {
          if (left > 0) {
            left--
            throw new RuntimeInterruptedError('deadlock found when trying to get lock')
          }
          return target.transaction(fn)
        }
      }
      const value = Reflect.get(target, key, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return {
    runtime: proxy,
    interrupt: (n) => {
      left = n
    },
  }
}

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
    const { runtime, interrupt } = interruptingRuntime(memory)
    const clock = new ManualClock()
    const { engine, calls } = engineOn(runtime, clock)
    const { tree } = oneActivity()
    interrupt(4)
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
    const { runtime, interrupt } = interruptingRuntime(memory)
    const clock = new ManualClock()
    const { engine } = engineOn(runtime, clock)
    const { tree } = oneActivity()
    interrupt(MAX_STEP_ATTEMPTS)
    const started = await engine.api.runPipeline({ pipeline: tree })
    expect(started.result).toBe(false)
    expect(started.message).toMatch(/deadlock/)
    expect(clock.sleeps).toHaveLength(MAX_STEP_ATTEMPTS - 1)
    expect(await memory.getState(tree.id)).toBeUndefined()
  })
})
