import { describe, expect, it } from 'vitest'
import { TreeInvalidError } from './errors.js'
import seed from './fixtures/seed-004-tree.json' with { type: 'json' }
import { graphTree } from './test-trees.js'
import { allowedStartNodeIds, checkStartNode } from './validator/start-position.js'

describe('start positions', () => {
  it('allows the start event and main-line activities and gateways of the seed tree', () => {
    expect(allowedStartNodeIds(seed).sort()).toEqual(
      [
        'node20cbeaa5379d08e8d8ed7bb44fdc',
        'node5310ec36c0364d3094d515f8f5ef',
        'node0863aab8325b84cfa3e5db52dc61',
        'node2bf42efcebe266706c3e21326dc4',
        'node7e97af0f55fb64276e067951dd9d',
      ].sort(),
    )
  })

  it('refuses nodes inside a parallel block, converge gateways, subprocesses and the end', () => {
    const tree = graphTree([
      ['start', 'act1'],
      ['act1', 'pg'],
      ['pg', 'act2'],
      ['pg', 'act3'],
      ['act2', 'cg'],
      ['act3', 'cg'],
      ['cg', 'sub1'],
      ['sub1', 'end'],
    ])
    expect(checkStartNode(tree, 'act1')).toEqual([])
    expect(checkStartNode(tree, 'pg')).toEqual([])
    for (const id of ['act2', 'cg', 'sub1', 'end', 'act_in_sub1', 'nothing']) {
      expect(checkStartNode(tree, id)).toEqual([
        expect.objectContaining({
          kind: 'StartPositionInvalidException',
          code: 'START_POSITION_INVALID',
          nodeId: id,
        }),
      ])
    }
  })

  it('throws TreeInvalidError with every problem for an invalid tree', () => {
    expect(() => allowedStartNodeIds({})).toThrow(TreeInvalidError)
    expect(checkStartNode(graphTree([['start', 'end']]), 'start')[0]?.code).toBe(
      'TARGET_NOT_ALLOWED',
    )
  })
})
