import type { Graph, GraphNode } from '../graph.js'
import type { ProblemList } from './problems.js'

const PARALLEL_TYPES = new Set(['ParallelGateway', 'ConditionalParallelGateway'])
const MAIN = 'main'

/**
 * Stream validation: the main line and each branch of a parallel or conditional-parallel gateway
 * carry their own stream; a node reached by two streams (from two branches, or from a branch and
 * the main line) can never run correctly. Needs the converge matches of `matchGateways`.
 */
export function checkStreams(
  graph: Graph,
  matches: ReadonlyMap<string, string>,
  reachable: ReadonlySet<string>,
  problems: ProblemList,
): Map<string, Set<string>> {
  const streams = new Map<string, Set<string>>()
  for (const id of graph.nodes.keys()) streams.set(id, new Set())
  streams.get(graph.startId)!.add(MAIN)
  streams.get(graph.endId)!.add(MAIN)

  const parallelOfConverge = new Map<string, Set<string>>()
  for (const node of graph.nodes.values()) {
    const convergeId = matches.get(node.id)
    if (PARALLEL_TYPES.has(node.type) && convergeId) {
      parallelOfConverge.set(convergeId, new Set(node.targets.map((_, i) => `${node.id}_${i}`)))
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
    const own = streams.get(where.id)!
    const parallel = PARALLEL_TYPES.has(where.type)
    const convergeId = matches.get(where.id)
    if (parallel && convergeId) {
      const converge = streams.get(convergeId)!
      for (const stream of own) converge.add(stream)
      if (converge.size > 1 && own.size === 1) conflict(convergeId)
    }
    for (const [i, targetId] of where.targets.entries()) {
      const target = streams.get(targetId)
      if (!target) continue
      const branchStreams = parallelOfConverge.get(targetId)
      const joinsItsConverge =
        branchStreams !== undefined && (isSubset(own, branchStreams) || convergeId === targetId)
      if (!joinsItsConverge) {
        if (parallel) target.add(`${where.id}_${i}`)
        else for (const stream of own) target.add(stream)
      }
      if (target.size > 1 && (parallel || own.size === 1)) conflict(targetId)
    }
  }

  const visited = new Set<string>()
  const queue: string[] = [graph.startId]
  for (let head = 0; head < queue.length; head++) {
    const node = graph.nodes.get(queue[head]!)!
    if (!visited.has(node.id)) {
      visited.add(node.id)
      for (const target of node.targets) if (graph.nodes.has(target)) queue.push(target)
    }
    flow(node)
  }

  for (const [id, set] of streams) {
    if (set.size === 0 && reachable.has(id)) conflict(id)
  }
  return streams
}

function isSubset(small: Set<string>, big: Set<string>): boolean {
  for (const item of small) if (!big.has(item)) return false
  return true
}
