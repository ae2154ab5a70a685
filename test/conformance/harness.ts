import {
  type ComponentRunner,
  createEngine,
  type Engine,
  type EngineAPIResult,
  InlineDispatcher,
  ManualClock,
  type Runtime,
  type StateTreeEntry,
} from '@culm/engine'
import { createTestkitRegistry } from '@culm/plugin-testkit'
import { type PipelineTree, replaceIds } from '@culm/tree'
import { describe, expect } from 'vitest'

/** An engine over one runtime, with a manual clock and the test kit, and helpers for scenarios. */
export interface Harness {
  engine: Engine
  clock: ManualClock
  dispatcher: InlineDispatcher
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
  const components: ComponentRunner = {
    info: (ref) => registry.info(ref),
    run: (ref, phase, input) => {
      calls.push({ nodeId: input.nodeId, phase, version: input.version })
      return registry.run(ref, phase, input)
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
  const harness: Harness = {
    engine,
    clock,
    dispatcher,
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
