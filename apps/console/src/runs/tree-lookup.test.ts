import { describe, expect, it } from 'vitest'
import type { TreeShape } from '../graph/layout.js'
import { findNode, outgoingFlows } from './tree-lookup.js'

const inner: TreeShape = {
  start_event: { id: 'is', type: 'EmptyStartEvent' },
  end_event: { id: 'ie', type: 'EmptyEndEvent' },
  activities: { deep: { id: 'deep', type: 'ServiceActivity', name: 'deep one' } },
  gateways: {},
  flows: {},
}
const tree: TreeShape = {
  start_event: { id: 's', type: 'EmptyStartEvent' },
  end_event: { id: 'e', type: 'EmptyEndEvent' },
  activities: {
    a: { id: 'a', type: 'ServiceActivity', component: { code: 'echo' } },
    sub: { id: 'sub', type: 'SubProcess', pipeline: inner },
  },
  gateways: {
    g: {
      id: 'g',
      type: 'ExclusiveGateway',
      conditions: { f1: { evaluate: '${x} > 1', name: '' } },
      default_condition: { flow_id: 'f2' },
    },
  },
  flows: {
    f0: { id: 'f0', source: 's', target: 'g' },
    f1: { id: 'f1', source: 'g', target: 'a' },
    f2: { id: 'f2', source: 'g', target: 'sub' },
  },
}

describe('tree lookup', () => {
  it('finds a node at any depth with the tree that holds it', () => {
    expect(findNode(tree, 'a')?.node.id).toBe('a')
    expect(findNode(tree, 'deep')?.tree).toBe(inner)
    expect(findNode(tree, 'e')?.node.type).toBe('EmptyEndEvent')
    expect(findNode(tree, 'nowhere')).toBeNull()
  })

  it("labels a gateway's flows with their condition and target", () => {
    expect(outgoingFlows(tree, 'g')).toEqual([
      { id: 'f1', label: '${x} > 1 → echo (f1)' },
      { id: 'f2', label: 'default → sub (f2)' },
    ])
  })
})
