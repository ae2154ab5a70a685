import { describe, expect, it } from 'vitest'
import { dialectOf } from './dialect.js'
import seed from './fixtures/seed-004-tree.json' with { type: 'json' }
import { graphTree } from './test-trees.js'
import { toEngineTree } from './to-engine-tree.js'
import type { ConditionalGateway, PipelineTree, ServiceActivityNode } from './types.js'
import { validateTree } from './validator/validate.js'

const seedTree = seed as unknown as PipelineTree

describe('toEngineTree', () => {
  it('turns the seed tree into an engine tree that validates', () => {
    expect(dialectOf(seedTree)).toBe('platform')
    const tree = toEngineTree(seedTree)
    expect(dialectOf(tree)).toBe('engine')
    expect(tree.id).toMatch(/^p[0-9a-f]{32}$/)
    expect(tree.constants).toBeUndefined()
    expect(tree.data).toEqual({
      inputs: { '${bk_timing}': { type: 'plain', value: '1' } },
      outputs: ['${bk_timing}'],
    })
    const hooked = tree.activities.node5310ec36c0364d3094d515f8f5ef as ServiceActivityNode
    expect(hooked.component).toEqual({
      code: 'sleep_timer',
      inputs: { bk_timing: { type: 'splice', value: '${bk_timing}' } },
    })
    const literal = tree.activities.node3c7dcf31454c1e9bdc9cf1cdeacc as ServiceActivityNode
    expect(literal.component.inputs).toEqual({ bk_timing: { type: 'plain', value: '3' } })
    expect(validateTree(tree).problems).toEqual([])
  })

  it('makes component_outputs constants node outputs and hooked inputs references', () => {
    const tree = structuredClone(seedTree)
    tree.constants!['${result}'] = {
      key: '${result}',
      value: '',
      source_type: 'component_outputs',
      source_info: { node5310ec36c0364d3094d515f8f5ef: ['elapsed'] },
    }
    tree.constants!['${both}'] = {
      key: '${both}',
      value: 'init',
      source_type: 'component_outputs',
      source_info: {
        node5310ec36c0364d3094d515f8f5ef: ['a'],
        node2bf42efcebe266706c3e21326dc4: ['b'],
      },
    }
    const node1 = tree.activities.node5310ec36c0364d3094d515f8f5ef as ServiceActivityNode
    node1.component.data!.bk_timing = { hook: true, value: '5' }
    const engine = toEngineTree(tree)
    expect(engine.data.inputs['${result}']).toEqual({
      type: 'plain',
      value: '',
      source_act: 'node5310ec36c0364d3094d515f8f5ef',
      source_key: 'elapsed',
    })
    expect(engine.data.inputs['${both}']).toMatchObject({
      source_act: [
        { source_act: 'node5310ec36c0364d3094d515f8f5ef', source_key: 'a' },
        { source_act: 'node2bf42efcebe266706c3e21326dc4', source_key: 'b' },
      ],
    })
    const converted = engine.activities.node5310ec36c0364d3094d515f8f5ef as ServiceActivityNode
    expect(converted.component.inputs?.bk_timing).toEqual({ type: 'splice', value: '${bk_timing}' })
  })

  it('makes lazy constants of the given custom types and templates splice variables', () => {
    const tree = structuredClone(seedTree)
    tree.constants!['${ip}'] = {
      key: '${ip}',
      value: '10.0.0.1',
      source_type: 'custom',
      custom_type: 'ip_selector',
    }
    tree.constants!['${label}'] = {
      key: '${label}',
      value: 'wait ${bk_timing}s',
      source_type: 'custom',
    }
    const engine = toEngineTree(tree, { lazyTypes: ['ip_selector'] })
    expect(engine.data.inputs['${ip}']).toEqual({
      type: 'lazy',
      value: '10.0.0.1',
      custom_type: 'ip_selector',
    })
    expect(engine.data.inputs['${label}']).toEqual({ type: 'splice', value: 'wait ${bk_timing}s' })
  })

  it('turns an is_default flow into the gateway default condition', () => {
    const tree = structuredClone(seedTree)
    tree.flows.line7587c8804d34a091dae3d321f081!.is_default = true
    const gatewayId = 'node0863aab8325b84cfa3e5db52dc61'
    delete (tree.gateways[gatewayId] as ConditionalGateway).conditions
      .line7587c8804d34a091dae3d321f081
    expect(validateTree(tree).problems).toEqual([])
    const engine = toEngineTree(tree)
    expect((engine.gateways[gatewayId] as ConditionalGateway).default_condition).toEqual({
      flow_id: 'line7587c8804d34a091dae3d321f081',
    })
    expect(validateTree(engine).problems).toEqual([])
  })

  it('converts subprocess trees and leaves engine trees as they are', () => {
    const engineTree = graphTree([
      ['start', 'sub1'],
      ['sub1', 'end'],
    ])
    expect(toEngineTree(engineTree)).toEqual(engineTree)
    const platform = structuredClone(seedTree)
    const sub = {
      id: 'nodesub',
      type: 'SubProcess' as const,
      incoming: '',
      outgoing: '',
      params: { '${x}': { value: '${bk_timing}' } },
      pipeline: structuredClone(seedTree),
    }
    platform.activities.nodesub = sub
    const engine = toEngineTree(platform)
    const converted = engine.activities.nodesub as { params: unknown; pipeline: PipelineTree }
    expect(converted.params).toEqual({ '${x}': { type: 'splice', value: '${bk_timing}' } })
    expect(converted.pipeline.id).toBe('nodesub')
    expect(converted.pipeline.data?.inputs['${bk_timing}']).toEqual({ type: 'plain', value: '1' })
  })
})
