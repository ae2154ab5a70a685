import { validateTree } from '@culm/tree'
import { describe, expect, it } from 'vitest'
import { dagTree, parseDag, stagesOf } from './dag.js'

const known = (code: string) => ['echo', 'sleep_timer'].includes(code)
const node = (nodeId: string, type = 'echo') => ({ nodeId, type })

describe('parseDag and dagTree', () => {
  it('turns a fork and a join into a parallel and a converge gateway', () => {
    const { dag, issues } = parseDag(
      {
        nodes: [node('s', 'START'), node('a'), node('b'), node('c', 'sleep_timer')],
        edges: [
          { source: 's', target: 'a' },
          { source: 's', target: 'b' },
          { source: 'a', target: 'c' },
          { source: 'b', target: 'c' },
        ],
      },
      known,
    )
    expect(issues).toEqual([])
    expect(stagesOf(dag!).map((stage) => stage.map((j) => j.nodeId))).toEqual([['a', 'b'], ['c']])
    const { tree, nodeMap } = dagTree(dag!, { a: { key: 'value' } })
    expect(Object.keys(nodeMap)).toEqual(['s', 'a', 'b', 'c'])
    const gateways = Object.values(tree.gateways).map((g) => g.type)
    expect(gateways.sort()).toEqual(['ConvergeGateway', 'ParallelGateway'])
    expect(tree.activities[nodeMap.a!]).toMatchObject({
      component: { code: 'echo', inputs: { key: { type: 'plain', value: 'value' } } },
    })
    expect(validateTree(tree).valid).toBe(true)
  })

  it('runs a job after every job it waits for, however long the branches', () => {
    const { dag } = parseDag(
      {
        nodes: [node('s', 'START'), node('a'), node('b'), node('c'), node('d')],
        edges: [
          { source: 's', target: 'a' },
          { source: 'a', target: 'b' },
          { source: 'b', target: 'd' },
          { source: 'c', target: 'd' },
        ],
      },
      known,
    )
    const stages = stagesOf(dag!).map((stage) => stage.map((j) => j.nodeId))
    expect(stages).toEqual([['a', 'c'], ['b'], ['d']])
    expect(validateTree(dagTree(dag!, {}).tree).valid).toBe(true)
  })

  it('builds a start-to-end tree for a DAG of the start node alone', () => {
    const { dag } = parseDag({ nodes: [node('s', 'START')], edges: [] }, known)
    const { tree } = dagTree(dag!, {})
    expect(Object.keys(tree.activities)).toHaveLength(0)
    expect(validateTree(tree).valid).toBe(true)
  })

  it('names the cycle it finds', () => {
    const { issues } = parseDag(
      {
        nodes: [node('s', 'START'), node('a'), node('b')],
        edges: [
          { source: 'a', target: 'b' },
          { source: 'b', target: 'a' },
        ],
      },
      known,
    )
    expect(issues).toHaveLength(1)
    expect(issues[0]!.message).toMatch(/cycle: (a → b → a|b → a → b)/)
  })
})
