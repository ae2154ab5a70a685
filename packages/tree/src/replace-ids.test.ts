import { describe, expect, it } from 'vitest'
import seed from './fixtures/seed-004-tree.json' with { type: 'json' }
import { replaceIds } from './replace-ids.js'
import { graphTree } from './test-trees.js'
import type { ConditionalGateway, PipelineTree } from './types.js'
import { validateTree } from './validator/validate.js'

const seedTree = seed as unknown as PipelineTree

function allIds(tree: PipelineTree): string[] {
  const ids = [tree.start_event.id, tree.end_event.id]
  ids.push(
    ...Object.keys(tree.activities),
    ...Object.keys(tree.gateways),
    ...Object.keys(tree.flows),
  )
  for (const activity of Object.values(tree.activities)) {
    if (activity.type === 'SubProcess') ids.push(...allIds(activity.pipeline))
  }
  return ids
}

describe('replaceIds', () => {
  it('gives the seed tree new ids everywhere and it still validates', () => {
    const { tree, idMap } = replaceIds(seedTree)
    const oldIds = allIds(seedTree)
    expect(Object.keys(idMap).sort()).toEqual([...oldIds].sort())
    const text = JSON.stringify(tree)
    for (const old of oldIds) expect(text).not.toContain(old)
    for (const id of allIds(tree)) expect(id).toMatch(/^(node|line)[0-9a-f]{28}$/)
    expect(validateTree(tree).problems).toEqual([])
  })

  it('rewrites conditions, constants source_info and matched converge gateways', () => {
    const validated = validateTree(seedTree).tree
    const { tree, idMap } = replaceIds(validated)
    const eg = tree.gateways[idMap.node0863aab8325b84cfa3e5db52dc61!] as ConditionalGateway
    expect(Object.keys(eg.conditions).sort()).toEqual(
      [idMap.line9dd9c8dbbad90943f268442ab7e0, idMap.line7587c8804d34a091dae3d321f081].sort(),
    )
    expect(eg.converge_gateway_id).toBe(idMap.node2b6f3285cfb3961c72834bafbe1b)
    expect(Object.keys(tree.constants!['${bk_timing}']!.source_info!).sort()).toEqual(
      [
        idMap.node5310ec36c0364d3094d515f8f5ef,
        idMap.node2bf42efcebe266706c3e21326dc4,
        idMap.nodedb1478a75c13f90cc400f5379949,
      ].sort(),
    )
  })

  it('never gives the same id twice, even to trees that share ids', () => {
    const first = replaceIds(seedTree).tree
    const second = replaceIds(seedTree).tree
    const ids = [...allIds(first), ...allIds(second)]
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('rewrites subprocess trees, their ids and node outputs in engine style', () => {
    const tree = graphTree([
      ['start', 'sub1'],
      ['sub1', 'end'],
    ])
    tree.data.inputs['${out}'] = { type: 'plain', value: null, source_act: 'sub1', source_key: 'x' }
    const { tree: copy, idMap } = replaceIds(tree)
    const sub = copy.activities[idMap.sub1!] as { pipeline: PipelineTree }
    expect(sub.pipeline.id).toBe(idMap.sub1)
    expect(idMap.act_in_sub1).toMatch(/^e[0-9a-f]{32}$/)
    expect(sub.pipeline.activities[idMap.act_in_sub1!]).toBeDefined()
    expect(copy.data!.inputs['${out}']).toMatchObject({ source_act: idMap.sub1 })
    expect(copy.id).toMatch(/^p[0-9a-f]{32}$/)
    expect(validateTree(copy).problems).toEqual([])
    expect(tree.activities.sub1).toBeDefined()
  })

  it('rewrites the canvas layout of platform trees', () => {
    const tree = structuredClone(seedTree) as PipelineTree & { location: unknown; line: unknown }
    tree.location = [{ id: 'node5310ec36c0364d3094d515f8f5ef', x: 1, y: 2 }]
    tree.line = [
      {
        id: 'line7ed74aa679d19063b6d7037ce6db',
        source: { id: 'node20cbeaa5379d08e8d8ed7bb44fdc', arrow: 'Right' },
        target: { id: 'node5310ec36c0364d3094d515f8f5ef', arrow: 'Left' },
      },
    ]
    const { tree: copy, idMap } = replaceIds(tree)
    expect(copy.location).toEqual([{ id: idMap.node5310ec36c0364d3094d515f8f5ef, x: 1, y: 2 }])
    expect(copy.line).toEqual([
      {
        id: idMap.line7ed74aa679d19063b6d7037ce6db,
        source: { id: idMap.node20cbeaa5379d08e8d8ed7bb44fdc, arrow: 'Right' },
        target: { id: idMap.node5310ec36c0364d3094d515f8f5ef, arrow: 'Left' },
      },
    ])
  })
})
