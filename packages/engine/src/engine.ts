import { EngineAPI } from './api/engine-api.js'
import { ComponentRegistry } from './component-registry.js'
import { Core } from './engine-core.js'
import { InlineDispatcher } from './inline-dispatcher.js'
import { MemoryRuntime } from './memory-runtime.js'
import { type Clock, type IdGenerator, systemClock } from './ports/clock.js'
import type { ComponentRunner } from './ports/components.js'
import type { Dispatcher, StepHandler } from './ports/dispatcher.js'
import type { EngineHooks } from './ports/hooks.js'
import type { Runtime } from './ports/runtime.js'

/** What `createEngine` is built from; everything has an in-memory default. */
export interface EngineOptions {
  runtime?: Runtime
  /** Must call the engine's `execute` and `schedule`; an `InlineDispatcher` is bound automatically. */
  dispatcher?: Dispatcher
  components?: ComponentRunner
  clock?: Clock
  ids?: IdGenerator
  hooks?: EngineHooks
  /** How often one node may be re-entered through a loop (100 by default). */
  rerunLimit?: number
  /** End-event types of executable end events, accepted like `EmptyEndEvent`. */
  sinkTypes?: string[]
}

/** A running engine: its API, its step handlers and a way to wait until it has nothing to do. */
export interface Engine extends StepHandler {
  api: EngineAPI
  runtime: Runtime
  dispatcher: Dispatcher
  components: ComponentRunner
  /**
   * Resolves when no step runs or is due now and no component call runs; schedules due later do
   * not count.
   */
  idle(): Promise<void>
  /** How many component calls run past the step that started them (their nodes are RUNNING). */
  runningCalls(): number
  /** Dispatches again what a stopped worker left behind (see `Core.recover`). */
  recover(): Promise<{ processes: number; schedules: number; quarantined: number }>
}

const session = Math.floor(Math.random() * 36 ** 8)
  .toString(36)
  .padStart(8, '0')
let counter = 0

/** Ids unique across processes: the prefix, a random session part and a counter. */
export const defaultIds: IdGenerator = {
  next(prefix) {
    counter++
    return `${prefix}${session}${counter.toString(36).padStart(8, '0')}`
  },
}

/**
 * Creates an engine over a runtime and a dispatcher (in memory and in process by default).
 * @example
 * const components = new ComponentRegistry().register(myComponent)
 * const engine = createEngine({ components })
 * const started = await engine.api.runPipeline({ pipeline: tree })
 * await engine.idle()
 * const states = await engine.api.getPipelineStates({ rootId: tree.id })
 */
export function createEngine(options: EngineOptions = {}): Engine {
  const clock = options.clock ?? systemClock
  const dispatcher = options.dispatcher ?? new InlineDispatcher({ clock })
  const components = options.components ?? new ComponentRegistry()
  const runtime = options.runtime ?? new MemoryRuntime()
  const core = new Core({
    runtime,
    dispatcher,
    components,
    clock,
    ids: options.ids ?? defaultIds,
    hooks: options.hooks ?? {},
    rerunLimit: options.rerunLimit ?? 100,
  })
  if (dispatcher instanceof InlineDispatcher) dispatcher.bind(core)
  return {
    api: new EngineAPI(core, options.sinkTypes),
    runtime,
    dispatcher,
    components,
    execute: (processId, nodeId) => core.execute(processId, nodeId),
    schedule: (processId, nodeId, scheduleId) => core.schedule(processId, nodeId, scheduleId),
    idle: async () => {
      // A component call left running past its step's commit is work too: its answer comes in
      // a step of its own.
      for (;;) {
        if (dispatcher instanceof InlineDispatcher) await dispatcher.idle()
        if (core.calls.runningCalls === 0) return
        await core.calls.someCallAnswered()
      }
    },
    runningCalls: () => core.calls.runningCalls,
    recover: () => core.recover(),
  }
}
