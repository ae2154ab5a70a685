import { type EngineTree, validateTree } from '@culm/tree'
import { describe, expect, it } from 'vitest'
import { dagTree, parseDag } from './dag.js'
import { type Layout, layoutOf, seriesParallel } from './layout.js'

const known = (code: string) => ['echo', 'sleep_timer'].includes(code)
const node = (nodeId: string, type = 'echo') => ({ nodeId, type })
const edge = (source: string, target: string) => ({ source, target })

function dagOf(ids: string[], edges: Array<[string, string]>) {
  const { dag, issues } = parseDag(
    {
      nodes: [node('s', 'START'), ...ids.map((id) => node(id))],
      edges: edges.map(([a, b]) => edge(a, b)),
    },
    known,
  )
  expect(issues).toEqual([])
  return dag!
}

/** A layout written short: `a`, `[a, b]` in sequence, `{ par: [...] }` in parallel. */
function short(layout: Layout): unknown {
  switch (layout.kind) {
    case 'empty':
      return null
    case 'job':
      return layout.job.nodeId
    case 'sequence':
      return layout.items.map(short)
    case 'parallel':
      return { par: layout.branches.map(short) }
  }
}

/** The DAG node ids whose engine nodes lead straight into `nodeId`'s engine node. */
function inflows(tree: EngineTree, nodeMap: Record<string, string>, nodeId: string): string[] {
  const byEngine = new Map(Object.entries(nodeMap).map(([dag, engine]) => [engine, dag]))
  const target = nodeMap[nodeId]!
  return Object.values(tree.flows)
    .filter((f) => f.target === target)
    .map((f) => byEngine.get(f.source) ?? tree.gateways[f.source]?.type ?? f.source)
}

describe('parseDag, layoutOf and dagTree', () => {
  it('turns a fork and a join into a parallel and a converge gateway', () => {
    const dag = dagOf(
      ['a', 'b', 'c'],
      [
        ['s', 'a'],
        ['s', 'b'],
        ['a', 'c'],
        ['b', 'c'],
      ],
    )
    expect(short(layoutOf(dag))).toEqual([{ par: ['a', 'b'] }, 'c'])
    const { tree, nodeMap } = dagTree(dag, { a: { key: 'value' } })
    expect(Object.keys(nodeMap)).toEqual(['s', 'a', 'b', 'c'])
    const gateways = Object.values(tree.gateways).map((g) => g.type)
    expect(gateways.sort()).toEqual(['ConvergeGateway', 'ParallelGateway'])
    expect(tree.activities[nodeMap.a!]).toMatchObject({
      component: { code: 'echo', inputs: { key: { type: 'plain', value: 'value' } } },
    })
    expect(inflows(tree, nodeMap, 'c')).toEqual(['ConvergeGateway'])
    expect(validateTree(tree).valid).toBe(true)
  })

  it('starts a job right after the jobs it waits for, however long the other branches', () => {
    const dag = dagOf(
      ['a', 'b', 'c', 'd'],
      [
        ['s', 'a'],
        ['a', 'b'],
        ['b', 'd'],
        ['c', 'd'],
      ],
    )
    expect(short(seriesParallel(dag)!)).toEqual([{ par: [['a', 'b'], 'c'] }, 'd'])
    const { tree, nodeMap } = dagTree(dag, {})
    // b follows a at once, not after c.
    expect(inflows(tree, nodeMap, 'b')).toEqual(['a'])
    expect(validateTree(tree).valid).toBe(true)
  })

  it('nests forks inside branches and drops an edge implied by a longer path', () => {
    const dag = dagOf(
      ['a', 'b', 'c', 'd', 'e'],
      [
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
        ['a', 'd'],
        ['d', 'e'],
      ],
    )
    expect(short(layoutOf(dag))).toEqual(['a', { par: ['b', 'c'] }, 'd', 'e'])
    expect(validateTree(dagTree(dag, {}).tree).valid).toBe(true)
  })

  it('lays a DAG that is not series-parallel out stage by stage, keeping every dependency', () => {
    const dag = dagOf(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'c'],
        ['a', 'd'],
        ['b', 'd'],
      ],
    )
    expect(seriesParallel(dag)).toBeUndefined()
    expect(short(layoutOf(dag))).toEqual([{ par: ['a', 'b'] }, { par: ['c', 'd'] }])
    expect(validateTree(dagTree(dag, {}).tree).valid).toBe(true)
  })

  it('builds a tree through an empty fork and join for a DAG of the start node alone', () => {
    const { tree } = dagTree(dagOf([], []), {})
    expect(Object.keys(tree.activities)).toHaveLength(0)
    expect(Object.keys(tree.gateways)).toHaveLength(2)
    expect(validateTree(tree).valid).toBe(true)
  })

  it('names the cycle it finds', () => {
    const { issues } = parseDag(
      {
        nodes: [node('s', 'START'), node('a'), node('b')],
        edges: [edge('a', 'b'), edge('b', 'a')],
      },
      known,
    )
    expect(issues).toHaveLength(1)
    expect(issues[0]!.message).toMatch(/cycle: (a → b → a|b → a → b)/)
  })
})
