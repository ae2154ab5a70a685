import { evaluateCondition, references, render, resolveConstants } from '@culm/expr'
import {
  type ConditionalGateway,
  type PipelineTree,
  replaceIds,
  type ServiceActivityNode as ServiceActivity,
  toEngineTree,
  validateTree,
} from '@culm/tree'
import { describe, expect, it } from 'vitest'
import request from '../fixtures/seed-004-request.json' with { type: 'json' }
import { generateTree } from '../support/generate-tree.js'

const seedTree = request.pipeline_tree as unknown as PipelineTree

/** The activity the seed's exclusive gateway leads to for a value of `${bk_timing}`. */
function branchFor(tree: PipelineTree, timing: string): string[] {
  const engine = toEngineTree(tree)
  const context = resolveConstants({
    ...engine.data.inputs,
    '${bk_timing}': { type: 'plain', value: timing },
  })
  const gateway = Object.values(engine.gateways).find(
    (g): g is ConditionalGateway => g.type === 'ExclusiveGateway',
  )!
  return Object.entries(gateway.conditions)
    .filter(([, condition]) => evaluateCondition(condition.evaluate, context))
    .map(([flowId]) => engine.flows[flowId]!.target)
}

describe('the seed 004 example tree across @culm/tree and @culm/expr', () => {
  it('validates, round-trips through replaceIds and validates again', () => {
    const first = validateTree(seedTree)
    expect(first.problems).toEqual([])
    const { tree, idMap } = replaceIds(first.tree)
    expect(Object.keys(idMap)).toHaveLength(21)
    const second = validateTree(tree)
    expect(second.problems).toEqual([])
    expect(Object.keys(second.tree.gateways).sort()).toEqual(
      Object.keys(first.tree.gateways)
        .map((id) => idMap[id])
        .sort(),
    )
  })

  it('takes the parallel branch when bk_timing <= 10 and node2 when it is > 10', () => {
    expect(branchFor(seedTree, '1')).toEqual(['node7e97af0f55fb64276e067951dd9d'])
    expect(branchFor(seedTree, '10')).toEqual(['node7e97af0f55fb64276e067951dd9d'])
    expect(branchFor(seedTree, '11')).toEqual(['node2bf42efcebe266706c3e21326dc4'])
  })

  it('renders hooked inputs to the constant value and keeps literal inputs', () => {
    const engine = toEngineTree(seedTree)
    const context = resolveConstants(engine.data.inputs)
    const hooked = engine.activities.node5310ec36c0364d3094d515f8f5ef as ServiceActivity
    const literal = engine.activities.node3c7dcf31454c1e9bdc9cf1cdeacc as ServiceActivity
    expect(references(hooked.component.inputs)).toEqual(['bk_timing'])
    expect(render(hooked.component.inputs!.bk_timing!.value, context)).toBe('1')
    expect(literal.component.inputs!.bk_timing).toEqual({ type: 'plain', value: '3' })
  })
})

describe('generated trees for the benchmarks', () => {
  it('are valid in both shapes and have at least the nodes asked for', () => {
    for (const shape of ['sequence', 'mixed'] as const) {
      const tree = generateTree({ nodes: 500, shape })
      expect(validateTree(tree).problems).toEqual([])
    }
  })
})
