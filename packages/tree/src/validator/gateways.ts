import type { ProblemCode } from '../errors.js'
import type { Graph } from '../graph.js'
import type { Order } from './order.js'
import type { ProblemList } from './problems.js'

const PARALLEL_TYPES = new Set(['ParallelGateway', 'ConditionalParallelGateway'])

interface GatewayInfo {
  id: string
  type: string
  incoming: string[]
  /** The first non-activity node of each branch; rewritten while matching. */
  targets: Array<string | null>
  match: string | null
  shared: boolean
}

class MatchError {
  constructor(
    readonly code: ProblemCode,
    readonly nodeId: string,
    readonly message: string,
  ) {}
}

/** The first node of a branch that is not an activity, or null for a loop of activities. */
function firstNonActivity(graph: Graph, start: string): string | null {
  let current = start
  const seen = new Set<string>()
  for (;;) {
    const node = graph.nodes.get(current)
    if (node?.category !== 'activity') return current
    if (seen.has(current)) return null
    seen.add(current)
    current = node.targets[0] ?? ''
  }
}

/**
 * Matches every parallel, conditional-parallel and exclusive gateway with its converge gateway,
 * following the Python engine's block rules, and returns the matches (gateway id -> converge id).
 * Each problem found ends the matching of the block it is in; the other blocks are still checked.
 */
export function matchGateways(
  graph: Graph,
  order: Order,
  problems: ProblemList,
): Map<string, string> {
  const converges = new Map<string, GatewayInfo>()
  const gateways = new Map<string, GatewayInfo>()
  const all: GatewayInfo[] = []

  for (const node of graph.nodes.values()) {
    if (node.category !== 'gateway') continue
    const info: GatewayInfo = {
      id: node.id,
      type: node.type,
      incoming: node.incoming,
      targets: node.targets.map((target) => firstNonActivity(graph, target)),
      match: null,
      shared: false,
    }
    if (!order.distance.has(node.id)) continue
    if (node.type === 'ConvergeGateway') converges.set(node.id, info)
    else gateways.set(node.id, info)
    all.push(info)
  }
  const distance = (id: string | null): number =>
    id === null ? -1 : (order.distance.get(id) ?? -1)

  const positiveIncoming = new Map<string, number>()
  for (const info of all) {
    for (const target of info.targets) {
      if (target !== null && converges.has(target) && distance(target) > distance(info.id)) {
        positiveIncoming.set(target, (positiveIncoming.get(target) ?? 0) + 1)
      }
    }
  }

  const endId = graph.endId
  const converged = new Map<string, string[]>()
  const blockNodes = new Map<string, Set<string>>()
  /** The blocks each node was matched in, so that a look-up does not walk every block. */
  const blocksOf = new Map<string, string[]>()
  const addToBlock = (blockStart: string, id: string): void => {
    const block = blockNodes.get(blockStart)!
    if (block.has(id)) return
    block.add(id)
    const blocks = blocksOf.get(id)
    if (blocks) blocks.push(blockStart)
    else blocksOf.set(id, [blockStart])
  }

  const notInParallel = (stack: GatewayInfo[], startFrom?: string): boolean => {
    const from = startFrom === undefined ? 0 : stack.findIndex((g) => g.id === startFrom)
    return !stack.slice(Math.max(from, 0)).some((g) => PARALLEL_TYPES.has(g.type))
  }
  const matchedInOtherBlock = (id: string | null, blockStart: string): boolean =>
    id !== null && (blocksOf.get(id)?.some((start) => start !== blockStart) ?? false)
  const canShare = (gatewayId: string, convergeId: string): boolean => {
    if (!PARALLEL_TYPES.has(gateways.get(gatewayId)!.type)) return true
    return !(converged.get(convergeId) ?? []).some(
      (other) => other !== gatewayId && PARALLEL_TYPES.has(gateways.get(other)?.type ?? ''),
    )
  }

  const match = (
    id: string,
    blockStart: string,
    stack: GatewayInfo[],
  ): { converge: string | null; shared: boolean } => {
    const current = gateways.get(id)
    if (!current) return { converge: null, shared: false }
    if (current.match) return { converge: current.match, shared: current.shared }

    const targets = current.targets
    stack.push(current)
    const onStack = new Set(stack.map((g) => g.id))

    for (let i = 0; i < targets.length; i++) {
      if (matchedInOtherBlock(targets[i]!, blockStart)) {
        targets[i] = null
        continue
      }
      if (targets[i] !== null) addToBlock(blockStart, targets[i]!)
      let hops = 0
      while (targets[i] !== null && gateways.has(targets[i]!) && targets[i] !== current.id) {
        const inner = targets[i]!
        if (++hops > gateways.size + 1) {
          throw new MatchError(
            'ILLEGAL_GATEWAY',
            id,
            `illegal gateway "${id}": branch ${i} runs through gateways in a loop that never reaches a converge gateway or the end`,
          )
        }
        if (onStack.has(inner)) {
          if (notInParallel(stack, inner)) {
            targets[i] = null
            break
          }
          throw new MatchError(
            'BRANCH_NOT_CONVERGED',
            id,
            `exclusive gateway "${id}" inside a parallel block must converge all its branches to one converge gateway`,
          )
        }
        const result = match(inner, blockStart, stack)
        if (result.converge) {
          targets[i] = result.converge
          if (!result.shared || !canShare(id, result.converge)) {
            targets[i] = converges.get(result.converge)!.targets[0] ?? null
          }
        } else {
          targets[i] = endId
        }
      }
      const reached = targets[i]
      if (reached && converges.has(reached) && distance(reached) < distance(id)) targets[i] = null
    }
    stack.pop()

    const exclusive = current.type === 'ExclusiveGateway'
    let convergeId: string | null = null
    let shared = false
    let towardsConverge = targets.length
    for (const target of targets) {
      const isConverge = target !== null && converges.has(target)
      if (isConverge && convergeId === null) convergeId = target
      else if (isConverge && convergeId === target) continue
      else if (exclusive && target === endId) {
        if (!notInParallel(stack)) {
          throw new MatchError(
            'BRANCH_NOT_CONVERGED',
            id,
            `exclusive gateway "${id}" inside a parallel block must converge all its branches to one converge gateway`,
          )
        }
      } else if (exclusive && (target === current.id || target === null)) {
        towardsConverge--
      } else if (exclusive && isConverge) {
        throw new MatchError(
          'EXCLUSIVE_CONVERGE_MISMATCH',
          id,
          `all branches of exclusive gateway "${id}" must first meet the same converge gateway (they meet "${convergeId}" and "${target}")`,
        )
      } else {
        throw new MatchError(
          'ILLEGAL_GATEWAY',
          id,
          `illegal gateway "${id}": its branches lead to ${targets.map((t) => (t === null ? 'a previous node' : `"${t}"`)).join(', ')}; check that they follow the gateway rules`,
        )
      }
    }

    if (exclusive) {
      if (convergeId !== null) {
        shared =
          (positiveIncoming.get(convergeId) ?? 0) > towardsConverge || converged.has(convergeId)
      }
    } else if (convergeId !== null) {
      const convergeIncoming = converges.get(convergeId)!.incoming.length
      if (convergeIncoming > targets.length) {
        if (
          (converged.get(convergeId) ?? []).some((g) =>
            PARALLEL_TYPES.has(gateways.get(g)?.type ?? ''),
          )
        ) {
          throw new MatchError(
            'CONVERGE_MIXED_PARALLEL',
            convergeId,
            `converge gateway "${convergeId}" can only join branches of the same parallel gateway (it also joins "${id}")`,
          )
        }
        shared = true
      } else if (convergeIncoming < targets.length) {
        throw new MatchError(
          'CONVERGE_INCOMPLETE',
          convergeId,
          `converge gateway "${convergeId}" does not join all ${targets.length} branches of its parallel gateway "${id}" (it has ${convergeIncoming} incoming flows)`,
        )
      }
    }

    current.match = convergeId
    current.shared = shared
    if (convergeId !== null) {
      const list = converged.get(convergeId) ?? []
      list.push(id)
      converged.set(convergeId, list)
    }
    addToBlock(blockStart, id)
    return { converge: convergeId, shared }
  }

  const processOrder = [...gateways.keys()].sort((a, b) => distance(a) - distance(b))
  for (const id of processOrder) {
    if (blockNodes.has(id)) continue
    blockNodes.set(id, new Set())
    try {
      match(id, id, [])
    } catch (error) {
      if (!(error instanceof MatchError)) throw error
      problems.add('ConvergeMatchError', error.code, error.message, { nodeId: error.nodeId })
    }
  }

  const matches = new Map<string, string>()
  for (const info of gateways.values()) {
    if (info.match) matches.set(info.id, info.match)
  }
  return matches
}
