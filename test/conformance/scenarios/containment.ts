import { expect } from 'vitest'
import { pythonConditional } from '../../fixtures/python-builder.js'
import type { Scenario } from '../harness.js'
import { act, sequence } from '../trees.js'

/** A constant whose replaces multiply a string by ten each: 10^12 characters if let run. */
const BOMB = `\${seed${'|replace("a","aaaaaaaaaa")'.repeat(12)}}`
/** An expression nested a hundred brackets deep. */
const DEEP = `${'('.repeat(100)}1 == 1${')'.repeat(100)}`

/** Expressions cannot take the engine's memory or time: an overrun fails the node. */
export const containmentScenarios: Record<string, Scenario> = {
  'fails the node whose input multiplies a string past the limit, naming the limit': async (h) => {
    const node = act('debug_node', { text: '${bomb}' })
    const after = act('debug_node')
    const tree = sequence(node, after)
    tree.data.inputs['${seed}'] = { type: 'plain', value: 'a' }
    tree.data.inputs['${bomb}'] = { type: 'splice', value: BOMB }
    const id = await h.run(tree, { keepIds: true })
    const states = await h.states(id)
    expect(states[node.id]).toBe('FAILED')
    expect(states[after.id]).toBeUndefined()
    expect(String((await h.outputs(node.id)).ex_data)).toMatch(
      /replace\(\) would make a string over the limit of 1000000 characters/,
    )
  },

  'refuses a tree whose expressions nest past the limit, before it runs': async (h) => {
    const inInput = await h.engine.api.runPipeline({
      pipeline: sequence(act('debug_node', { x: `\${${DEEP}}` })),
    })
    expect(inInput.result).toBe(false)
    expect(inInput.message).toMatch(/nests 100 brackets deep, over the limit of 64/)
    const { tree } = pythonConditional('ExclusiveGateway')
    const gateway = Object.values(tree.gateways)[0] as {
      conditions: Record<string, { evaluate: string }>
    }
    const [flow] = Object.keys(gateway.conditions)
    gateway.conditions[flow!] = { evaluate: DEEP }
    const inCondition = await h.engine.api.runPipeline({ pipeline: tree })
    expect(inCondition.result).toBe(false)
    expect(inCondition.message).toMatch(/nests 100 brackets deep/)
    expect(await h.engine.api.getPipelineStates({ rootId: tree.id! })).toMatchObject({ data: {} })
  },
}
