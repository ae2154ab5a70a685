import {
  type ComponentCallInput,
  type ComponentCallResult,
  type ComponentInfo,
  type ComponentRunner,
  createEngine,
  type Engine,
  type EngineAPIResult,
  FAST_CALL_MS,
  InlineDispatcher,
  ManualClock,
  type Runtime,
  type StateTreeEntry,
} from '@culm/engine'
import { createTestkitRegistry } from '@culm/plugin-testkit'
import { type PipelineTree, replaceIds } from '@culm/tree'
import { describe, expect } from 'vitest'

/**
 * Components whose calls the scenario answers: `gate` (execute; answers when released) and
 * `gate_callbacks` (waits for callbacks; finishes at the `until`-th; with the input `hold`, each
 * of its schedule calls is a gate too). Every other code goes to the runtime's own components.
 */
export interface Gates {
  /** Resolves when a gated call of `nodeId` has begun (the n-th call of it, from 1). */
  started(nodeId: string, nth?: number): Promise<void>
  /** The callback data the last gated call of `nodeId` was given. */
  callbackData(nodeId: string): unknown
  /** Answers the running call of `nodeId`. */
  release(nodeId: string, answer?: Partial<ComponentCallResult>): void
  /** Whether the engine asked the running (or last) call of `nodeId` to stop. */
  aborted(nodeId: string): boolean
}

/** An engine over one runtime, with a manual clock and the test kit, and helpers for scenarios. */
export interface Harness {
  engine: Engine
  clock: ManualClock
  dispatcher: InlineDispatcher
  gates: Gates
  /** Starts a tree as `run` does but waits for nothing: its steps and calls go on. */
  start(tree: PipelineTree, options?: RunOptions): Promise<string>
  /** Lets `FAST_CALL_MS` pass, so that steps waiting on a slow call commit, and waits for them. */
  passFastCallBound(): Promise<void>
  /** Every component call made, in order. */
  calls: Array<{ nodeId: string; phase: 'execute' | 'schedule'; version: string }>
  /** Starts a tree (with new ids unless `keepIds`) and waits until nothing is due; answers its id. */
  run(tree: PipelineTree, options?: RunOptions): Promise<string>
  /** Waits until no step runs or is due now. */
  settle(): Promise<void>
  /** Moves the clock forward second by second, settling after each timer. */
  advance(seconds: number): Promise<void>
  /** The state name of every node of a pipeline (and of the pipeline itself), by node id. */
  states(rootId: string): Promise<Record<string, string>>
  /** The state of one node. */
  state(nodeId: string): Promise<StateTreeEntry | undefined>
  /** A node's outputs as last run. */
  outputs(nodeId: string): Promise<Record<string, unknown>>
  /** Asserts an API answer succeeded and returns its data. */
  ok<T>(result: EngineAPIResult<T>): T
}

/** Options of `Harness.run`. */
export interface RunOptions {
  keepIds?: boolean
  cycleTolerate?: boolean
  rootPipelineData?: Record<string, unknown>
  rootPipelineContext?: Record<string, unknown>
  subprocessContext?: Record<string, unknown>
  startNodeId?: string
}

/** Builds a harness around a fresh runtime, with the in-process test kit unless told otherwise. */
export function createHarness(
  runtime: Runtime,
  registry: ComponentRunner = createTestkitRegistry(),
): Harness {
  const clock = new ManualClock()
  const dispatcher = new InlineDispatcher({ clock, concurrency: 8 })
  const calls: Harness['calls'] = []
  const gated = createGates()
  const components: ComponentRunner = {
    info: (ref) => GATE_INFO[ref.code] ?? registry.info(ref),
    run: (ref, phase, input, options) => {
      calls.push({ nodeId: input.nodeId, phase, version: input.version })
      if (GATE_INFO[ref.code]) return gated.run(ref.code, phase, input, options?.signal)
      return registry.run(ref, phase, input, options)
    },
    lazy: (code, value, context) => registry.lazy!(code, value, context),
    hasLazy: (code) => registry.hasLazy?.(code) === true,
  }
  const engine = createEngine({ runtime, dispatcher, clock, components })
  const settle = async () => {
    await engine.idle()
    expect(dispatcher.errors).toEqual([])
  }
  const state = async (nodeId: string): Promise<StateTreeEntry | undefined> => {
    const answer = await engine.api.getChildrenStates({ nodeId })
    return (answer.data as Record<string, StateTreeEntry> | null)?.[nodeId]
  }
  const start = async (tree: PipelineTree, options: RunOptions = {}) => {
    const pipeline = options.keepIds ? tree : replaceIds(tree).tree
    const { keepIds: _keep, ...args } = options
    const answer = await engine.api.runPipeline({ pipeline, ...args })
    expect(answer.message).toBe('success')
    return answer.data!.pipeline_id
  }
  const harness: Harness = {
    engine,
    clock,
    dispatcher,
    gates: gated.gates,
    start,
    async passFastCallBound() {
      await clock.advance(FAST_CALL_MS, () => dispatcher.idle())
      await dispatcher.idle()
    },
    calls,
    settle,
    async run(tree, options = {}) {
      const pipeline = options.keepIds ? tree : replaceIds(tree).tree
      const { keepIds: _keep, ...args } = options
      const answer = await engine.api.runPipeline({ pipeline, ...args })
      expect(answer.message).toBe('success')
      await settle()
      return answer.data!.pipeline_id
    },
    async advance(seconds) {
      for (let i = 0; i < seconds; i++) await clock.advance(1000, settle)
    },
    async states(rootId) {
      const answer = await engine.api.getPipelineStates({ rootId })
      const root = (answer.data as Record<string, StateTreeEntry>)[rootId]
      if (!root) return {}
      const names: Record<string, string> = { [rootId]: root.state }
      for (const [id, child] of Object.entries(root.children)) names[id] = child.state
      return names
    },
    state,
    async outputs(nodeId) {
      return harness.ok(await engine.api.getExecutionDataOutputs({ nodeId })) as Record<
        string,
        unknown
      >
    },
    ok(result) {
      expect(result.message).toBe('success')
      expect(result.result).toBe(true)
      return result.data as never
    },
  }
  return harness
}

/** A scenario: a name and a body that drives a harness. */
export type Scenario = (harness: Harness) => Promise<void>

/**
 * Runs every scenario against a runtime; `makeRuntime` gives a fresh runtime per scenario.
 * @example
 * describeRuntime('memory', () => new MemoryRuntime(), scenarios)
 */
export function describeRuntime(
  name: string,
  makeRuntime: () => Runtime | Promise<Runtime>,
  scenarios: Record<string, Scenario>,
  register: (title: string, fn: () => Promise<void>) => void,
  components?: () => ComponentRunner,
): void {
  describe(`conformance on ${name}`, () => {
    for (const [title, scenario] of Object.entries(scenarios)) {
      register(title, async () => {
        const runtime = await makeRuntime()
        await scenario(createHarness(runtime, components?.()))
      })
    }
  })
}

const GATE_INFO: Record<string, ComponentInfo> = {
  gate: { code: 'gate', version: 'legacy', name: 'Gate', scheduleMode: 'none' },
  gate_callbacks: {
    code: 'gate_callbacks',
    version: 'legacy',
    name: 'Gate for callbacks',
    scheduleMode: 'multi_callback',
  },
}

interface GateCall {
  resolve: (answer: ComponentCallResult) => void
  signal: AbortSignal | undefined
}

function createGates() {
  const running = new Map<string, GateCall>()
  const counts = new Map<string, number>()
  const waiters: Array<{ nodeId: string; nth: number; resolve: () => void }> = []
  const gates: Gates = {
    started(nodeId, nth = 1) {
      if ((counts.get(nodeId) ?? 0) >= nth) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ nodeId, nth, resolve }))
    },
    release(nodeId, answer = {}) {
      const call = running.get(nodeId)
      if (!call) throw new TypeError(`no gate call of node ${nodeId} runs`)
      running.delete(nodeId)
      call.resolve({ success: true, outputs: {}, finished: false, ...answer })
    },
    aborted(nodeId) {
      return running.get(nodeId)?.signal?.aborted ?? lastSignals.get(nodeId)?.aborted ?? false
    },
    callbackData(nodeId) {
      return lastCallbackData.get(nodeId)
    },
  }
  const lastCallbackData = new Map<string, unknown>()
  const lastSignals = new Map<string, AbortSignal | undefined>()
  const run = (
    code: string,
    phase: 'execute' | 'schedule',
    input: ComponentCallInput,
    signal: AbortSignal | undefined,
  ): Promise<ComponentCallResult> => {
    if (code === 'gate_callbacks' && phase === 'schedule' && !input.inputs.hold) {
      // Counts its callbacks in its outputs and finishes at the `until`-th.
      const count = Number(input.outputs.count ?? 0) + 1
      const until = Number(input.inputs.until ?? 1)
      return Promise.resolve({
        success: true,
        outputs: { ...input.outputs, count, [`seen_${count}`]: input.callbackData },
        finished: count >= until,
      })
    }
    if (code === 'gate_callbacks' && phase === 'execute')
      return Promise.resolve({ success: true, outputs: {}, finished: false })
    lastCallbackData.set(input.nodeId, input.callbackData)
    const nth = (counts.get(input.nodeId) ?? 0) + 1
    counts.set(input.nodeId, nth)
    lastSignals.set(input.nodeId, signal)
    const answer = new Promise<ComponentCallResult>((resolve) =>
      running.set(input.nodeId, { resolve, signal }),
    )
    for (const waiter of waiters.splice(0)) {
      if (waiter.nodeId === input.nodeId && waiter.nth <= nth) waiter.resolve()
      else waiters.push(waiter)
    }
    return answer
  }
  return { gates, run }
}
