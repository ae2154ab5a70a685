import { describe, expect, it } from 'vitest'
import {
  applyNodeState,
  counters,
  type LaidNode,
  layoutTree,
  type NodeState,
  paintLayout,
  SIZES,
  type TreeShape,
} from './layout.js'

/** start -> a -> exclusive gateway -(x>1)-> b / -(default)-> sub(start -> c -> end) -> converge -> end */
function sampleTree(): TreeShape {
  const inner: TreeShape = {
    id: 'sub-tree',
    start_event: { id: 'is', type: 'EmptyStartEvent' },
    end_event: { id: 'ie', type: 'EmptyEndEvent' },
    activities: {
      c: { id: 'c', type: 'ServiceActivity', component: { code: 'debug_node' } },
    },
    gateways: {},
    flows: {
      if1: { id: 'if1', source: 'is', target: 'c' },
      if2: { id: 'if2', source: 'c', target: 'ie' },
    },
  }
  return {
    id: 'root',
    start_event: { id: 's', type: 'EmptyStartEvent' },
    end_event: { id: 'e', type: 'EmptyEndEvent' },
    activities: {
      a: { id: 'a', type: 'ServiceActivity', name: 'first', component: { code: 'echo' } },
      b: { id: 'b', type: 'ServiceActivity', component: { code: 'fail_ctrl_node' } },
      sub: { id: 'sub', type: 'SubProcess', name: 'inner', pipeline: inner },
    },
    gateways: {
      g: {
        id: 'g',
        type: 'ExclusiveGateway',
        conditions: { f3: { evaluate: '${x} > 1', name: 'big' } },
        default_condition: { flow_id: 'f4' },
      },
      cg: { id: 'cg', type: 'ConvergeGateway' },
    },
    flows: {
      f1: { id: 'f1', source: 's', target: 'a' },
      f2: { id: 'f2', source: 'a', target: 'g' },
      f3: { id: 'f3', source: 'g', target: 'b' },
      f4: { id: 'f4', source: 'g', target: 'sub' },
      f5: { id: 'f5', source: 'b', target: 'cg' },
      f6: { id: 'f6', source: 'sub', target: 'cg' },
      f7: { id: 'f7', source: 'cg', target: 'e' },
    },
  }
}

const byId = (nodes: LaidNode[]) => new Map(nodes.map((n) => [n.id, n]))

describe('layoutTree', () => {
  it('draws every node of the tree and of its subprocesses, each flow as an edge', () => {
    const layout = layoutTree(sampleTree())
    expect(layout.nodes.map((n) => n.id).sort()).toEqual(
      ['a', 'b', 'c', 'cg', 'e', 'g', 'ie', 'is', 's', 'sub'].sort(),
    )
    expect(layout.edges.map((e) => e.id).sort()).toEqual(
      ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'if1', 'if2'].sort(),
    )
  })

  it('names nodes by their name, their component, or their kind', () => {
    const nodes = byId(layoutTree(sampleTree()).nodes)
    expect(nodes.get('a')).toMatchObject({ kind: 'activity', label: 'first', component: 'echo' })
    expect(nodes.get('b')).toMatchObject({ kind: 'activity', label: 'fail_ctrl_node' })
    expect(nodes.get('g')).toMatchObject({ kind: 'gateway', type: 'ExclusiveGateway' })
    expect(nodes.get('s')).toMatchObject({ kind: 'start' })
    expect(nodes.get('e')).toMatchObject({ kind: 'end' })
    expect(nodes.get('sub')).toMatchObject({ kind: 'subprocess', label: 'inner' })
  })

  it('lays the flow out left to right', () => {
    const nodes = byId(layoutTree(sampleTree()).nodes)
    const order = ['s', 'a', 'g', 'cg', 'e'].map((id) => nodes.get(id)!.x)
    expect(order).toEqual([...order].sort((x, y) => x - y))
    expect(new Set(order).size).toBe(order.length)
  })

  it('opens a subprocess in place: a group sized to hold its inner nodes, placed relative to it', () => {
    const nodes = byId(layoutTree(sampleTree()).nodes)
    const group = nodes.get('sub')!
    const inner = ['is', 'c', 'ie'].map((id) => nodes.get(id)!)
    for (const node of inner) {
      expect(node.parentId).toBe('sub')
      expect(node.x).toBeGreaterThanOrEqual(SIZES.padding)
      expect(node.y).toBeGreaterThanOrEqual(SIZES.header)
      expect(node.x + node.width).toBeLessThanOrEqual(group.width)
      expect(node.y + node.height).toBeLessThanOrEqual(group.height)
    }
    expect(nodes.get('a')!.parentId).toBeUndefined()
  })

  it('lists a group before the nodes inside it', () => {
    const ids = layoutTree(sampleTree()).nodes.map((n) => n.id)
    for (const inner of ['is', 'c', 'ie']) {
      expect(ids.indexOf('sub')).toBeLessThan(ids.indexOf(inner))
    }
  })

  it("labels a gateway's branches with their condition name, and the default one", () => {
    const edges = new Map(layoutTree(sampleTree()).edges.map((e) => [e.id, e]))
    expect(edges.get('f3')!.label).toBe('big')
    expect(edges.get('f4')!.label).toBe('default')
    expect(edges.get('f1')!.label).toBeUndefined()
    expect(edges.get('if1')!.parentId).toBe('sub')
  })

  it('keeps no overlapping nodes at the same level', () => {
    const nodes = layoutTree(sampleTree()).nodes.filter((n) => n.parentId === undefined)
    for (const a of nodes) {
      for (const b of nodes) {
        if (a === b) continue
        const apart =
          a.x + a.width <= b.x ||
          b.x + b.width <= a.x ||
          a.y + a.height <= b.y ||
          b.y + b.height <= a.y
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true)
      }
    }
  })

  it('draws a loop (a flow back to an earlier node) without failing', () => {
    const tree = sampleTree()
    tree.flows.back = { id: 'back', source: 'b', target: 'a' }
    const layout = layoutTree(tree)
    expect(layout.edges.some((e) => e.id === 'back')).toBe(true)
  })

  it('leaves out a flow whose end is not in the tree', () => {
    const tree = sampleTree()
    tree.flows.dangling = { id: 'dangling', source: 'a', target: 'nowhere' }
    expect(layoutTree(tree).edges.some((e) => e.id === 'dangling')).toBe(false)
  })
})

describe('paintLayout', () => {
  const state = (node_id: string, s: string, extra: Partial<NodeState> = {}): NodeState => ({
    node_id,
    state: s,
    version: `v-${node_id}-${s}`,
    loop: 1,
    retry: 0,
    skip: false,
    error_ignored: false,
    ...extra,
  })

  it('colours reached nodes by state and leaves the others unreached', () => {
    const layout = layoutTree(sampleTree())
    const painted = byId(
      paintLayout(layout, {
        s: state('s', 'FINISHED'),
        a: state('a', 'RUNNING'),
        c: state('c', 'FAILED', { retry: 2, loop: 3 }),
      }) as LaidNode[],
    ) as Map<string, ReturnType<typeof paintLayout>[number]>
    expect(painted.get('a')!.state).toBe('RUNNING')
    expect(painted.get('b')!.state).toBeNull()
    expect(painted.get('c')).toMatchObject({ state: 'FAILED', retry: 2, loop: 3 })
    expect(painted.get('c')!.x).toBe(layout.nodes.find((n) => n.id === 'c')!.x)
  })

  it('shows loop, retry, skip and ignored-error counters', () => {
    expect(counters({ loop: 1, retry: 0, skip: false, errorIgnored: false })).toEqual([])
    expect(counters({ loop: 3, retry: 2, skip: true, errorIgnored: true })).toEqual([
      'loop 3',
      'retry 2',
      'skipped',
      'error ignored',
    ])
  })

  it('replaces a node state on an update and keeps the object when nothing changed', () => {
    const before = { a: state('a', 'RUNNING') }
    const same = applyNodeState(before, { ...state('a', 'RUNNING') })
    expect(same).toBe(before)
    const after = applyNodeState(before, state('a', 'FINISHED'))
    expect(after.a!.state).toBe('FINISHED')
    expect(before.a!.state).toBe('RUNNING')
    expect(applyNodeState(after, state('b', 'READY')).b!.state).toBe('READY')
  })
})
