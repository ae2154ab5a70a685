import type { Graph, GraphNode } from '../graph.js'
import type { ProblemList } from './problems.js'

const PARALLEL_TYPES = new Set(['ParallelGateway', 'ConditionalParallelGateway'])
const MAIN = 'main'

/**
 * Stream validation: the main line and each branch of a parallel or conditional-parallel gateway
 * carry their own stream; a node reached by two streams (from two branches, or from a branch and
 * the main line) can never run correctly. Needs the converge matches of `matchGateways`. Answers
 * each node's streams, by the node's position in `graph.list`.
 */
export function checkStreams(
  graph: Graph,
  matches: ReadonlyMap<string, string>,
  reachable: ReadonlySet<string>,
  problems: ProblemList,
): Array<Set<string>> {
  const list = graph.list
  const streams = list.map(() => new Set<string>())
  const startIndex = graph.nodes.get(graph.startId)!.index
  streams[startIndex]!.add(MAIN)
  streams[graph.nodes.get(graph.endId)!.index]!.add(MAIN)

  /** The branch streams of each parallel gateway, by the position of its converge gateway. */
  const parallelOfConverge = new Map<number, Set<string>>()
  for (const node of list) {
    if (!PARALLEL_TYPES.has(node.type)) continue
    const convergeId = matches.get(node.id)
    const converge = convergeId === undefined ? undefined : graph.nodes.get(convergeId)
    if (converge) {
      parallelOfConverge.set(converge.index, new Set(node.targets.map((_, i) => `${node.id}_${i}`)))
    }
  }

  const conflict = (id: string): void => {
    problems.add(
      'StreamValidateError',
      'STREAM_CONFLICT',
      `node "${id}" is reached from more than one parallel branch, or from a branch and the main line`,
      { nodeId: id },
    )
  }

  const flow = (where: GraphNode): void => {
    const own = streams[where.index]!
    const parallel = PARALLEL_TYPES.has(where.type)
    // Only gateways have matches.
    const convergeId = where.category === 'gateway' ? matches.get(where.id) : undefined
    if (parallel && convergeId) {
      const converge = streams[graph.nodes.get(convergeId)!.index]!
      for (const stream of own) converge.add(stream)
      if (converge.size > 1 && own.size === 1) conflict(convergeId)
    }
    const targets = where.targetIndexes
    for (let i = 0; i < targets.length; i++) {
      const at = targets[i]!
      if (at < 0) continue
      const target = streams[at]!
      const targetId = list[at]!.id
      const branchStreams = parallelOfConverge.get(at)
      const joinsItsConverge =
        branchStreams !== undefined && (isSubset(own, branchStreams) || convergeId === targetId)
      if (!joinsItsConverge) {
        if (parallel) target.add(`${where.id}_${i}`)
        else for (const stream of own) target.add(stream)
      }
      if (target.size > 1 && (parallel || own.size === 1)) conflict(targetId)
    }
  }

  // Breadth first from the start; a node flows once for every flow that reaches it.
  const visited = new Uint8Array(list.length)
  const queue: number[] = [startIndex]
  for (let head = 0; head < queue.length; head++) {
    const at = queue[head]!
    const node = list[at]!
    if (visited[at] === 0) {
      visited[at] = 1
      for (const target of node.targetIndexes) if (target >= 0) queue.push(target)
    }
    flow(node)
  }

  for (const node of list) {
    if (streams[node.index]!.size === 0 && reachable.has(node.id)) conflict(node.id)
  }
  return streams
}

function isSubset(small: Set<string>, big: Set<string>): boolean {
  for (const item of small) if (!big.has(item)) return false
  return true
}
