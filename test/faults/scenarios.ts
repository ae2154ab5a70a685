import { isDeepStrictEqual } from 'node:util'
import { openRuntime } from '@culm/store'
import type { EngineTree } from '@culm/tree'
import { expect } from 'vitest'
import { createHarness, type Harness } from '../conformance/harness.js'
import { act, exclusive, parallel, sequence, withSubprocess } from '../conformance/trees.js'
import { type FaultPlan, FaultyRuntime } from './faulty-runtime.js'

/** A tree, and how to drive it to its end once started with its own ids. */
export interface FaultScenario {
  title: string
  tree: EngineTree
  drive?: (h: Harness, rootId: string) => Promise<void>
}

/** How a run ended: what must not change when a fault is injected. */
export interface Outcome {
  states: Record<string, string>
  outputs: Record<string, unknown>
  pipelineOutputs: unknown
  calls: Record<string, number>
}

async function versionOf(h: Harness, nodeId: string): Promise<string> {
  const state = await h.state(nodeId)
  expect(state, `the state of node ${nodeId}`).toBeDefined()
  return state?.version ?? ''
}

function callbackScenario(): FaultScenario {
  const waiting = act('callback_node')
  return {
    title: 'a callback_node finished by callback',
    tree: sequence(act('debug_node'), waiting, act('debug_node')),
    async drive(h) {
      const version = await versionOf(h, waiting.id)
      h.ok(await h.engine.api.callback({ nodeId: waiting.id, version, data: { answer: 42 } }))
      await h.settle()
    },
  }
}

function multiCallbackScenario(): FaultScenario {
  const multi = act('multi_callback_node')
  return {
    title: 'a multi_callback_node finished by 5 callbacks',
    tree: sequence(multi, act('debug_node')),
    async drive(h) {
      const version = await versionOf(h, multi.id)
      for (let i = 1; i <= 5; i++) {
        h.ok(await h.engine.api.callback({ nodeId: multi.id, version, data: { i } }))
        await h.settle()
      }
    },
  }
}

function retryScenario(): FaultScenario {
  const failing = act('fail_ctrl_node', { bit: 0 })
  return {
    title: 'a failing fail_ctrl_node retried by retryNode',
    tree: sequence(act('debug_node'), failing, act('debug_node')),
    async drive(h) {
      h.ok(await h.engine.api.retryNode({ nodeId: failing.id, data: { bit: 1 } }))
      await h.settle()
    },
  }
}

export const SCENARIOS: FaultScenario[] = [
  {
    title: 'a sequence of debug_nodes',
    tree: sequence(
      act('debug_node', { a: 1 }),
      act('debug_node', { b: 'two' }),
      act('debug_node', { c: [3] }),
    ),
  },
  {
    title: 'a parallel gateway',
    tree: parallel([act('debug_node', { x: 1 }), act('debug_node', { y: 2 }), act('debug_node')])
      .tree,
  },
  {
    title: 'a conditional parallel gateway',
    tree: parallel(
      [act('debug_node', { x: 1 }), act('debug_node', { y: 2 }), act('debug_node')],
      'cpg',
      ['1 == 1', '1 == 0', '2 > 1'],
    ).tree,
  },
  { title: 'an exclusive gateway', tree: exclusive(2, ['${value} == 1', '${value} == 2']).tree },
  { title: 'a subprocess with params and outputs', tree: withSubprocess('hello').tree },
  callbackScenario(),
  multiCallbackScenario(),
  {
    title: 'a sleep_timer',
    tree: sequence(act('sleep_timer', { bk_timing: 3 }), act('debug_node')),
    drive: (h) => h.advance(4),
  },
  retryScenario(),
]

/** Outputs read off the machine's clock (sleep_timer's wake time) differ from run to run. */
const WALL_CLOCK_OUTPUTS = ['eta', 'timing_time']

function withoutWallClock(outputs: Record<string, unknown>): Record<string, unknown> {
  const kept = { ...outputs }
  for (const key of WALL_CLOCK_OUTPUTS) if (key in kept) kept[key] = '(wall clock)'
  return kept
}

export async function runScenario(
  scenario: FaultScenario,
  plan?: FaultPlan,
): Promise<{ outcome: Outcome; runtime: FaultyRuntime; errors: unknown[] }> {
  const store = await openRuntime('sqlite::memory:')
  try {
    const runtime = new FaultyRuntime(store.runtime, plan)
    const h = createHarness(runtime)
    const rootId = await h.run(scenario.tree, { keepIds: true })
    await scenario.drive?.(h, rootId)
    await h.settle()
    const states = await h.states(rootId)
    const outputs: Record<string, unknown> = {}
    for (const nodeId of Object.keys(states).sort()) {
      if (nodeId !== rootId) outputs[nodeId] = withoutWallClock(await h.outputs(nodeId))
    }
    const calls: Record<string, number> = {}
    for (const call of h.calls) {
      const key = `${call.nodeId} ${call.phase}`
      calls[key] = (calls[key] ?? 0) + 1
    }
    const pipelineOutputs = await h.outputs(rootId)
    return {
      outcome: { states, outputs, pipelineOutputs, calls },
      runtime,
      errors: [...h.dispatcher.errors],
    }
  } finally {
    await store.close()
  }
}

/** The parts of `actual` that differ from `expected` (key order does not count). */
export function differences(
  expected: Outcome,
  actual: Outcome,
  keys: ReadonlyArray<keyof Outcome> = ['states', 'outputs', 'pipelineOutputs', 'calls'],
): string[] {
  return keys
    .filter((key) => !isDeepStrictEqual(actual[key], expected[key]))
    .map(
      (key) => `${key} ${JSON.stringify(actual[key])} instead of ${JSON.stringify(expected[key])}`,
    )
}

/** Which calls of a method to fault: all of them up to 12, else 12 spread from first to last. */
export function callsToFault(total: number): number[] {
  if (total <= 12) return Array.from({ length: total }, (_, i) => i + 1)
  return [...new Set(Array.from({ length: 12 }, (_, i) => 1 + Math.round((i * (total - 1)) / 11)))]
}
