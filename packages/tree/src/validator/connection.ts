import type { Graph, GraphNode } from '../graph.js'
import type { ProblemList } from './problems.js'

/** At most this many flows may enter or leave one node, as in the Python engine. */
export const MAX_DEGREE = 1000

interface Rule {
  minIn: number
  maxIn: number
  minOut: number
  maxOut: number
  /** Which node types the node may point to. */
  allows: (target: GraphNode) => boolean
}

const notStart = (target: GraphNode): boolean => target.category !== 'start'
const inner = (target: GraphNode): boolean =>
  target.category === 'activity' || target.category === 'gateway'

const RULES: Record<string, Rule> = {
  EmptyStartEvent: { minIn: 0, maxIn: 0, minOut: 1, maxOut: 1, allows: inner },
  ServiceActivity: { minIn: 1, maxIn: MAX_DEGREE, minOut: 1, maxOut: 1, allows: notStart },
  SubProcess: { minIn: 1, maxIn: MAX_DEGREE, minOut: 1, maxOut: 1, allows: notStart },
  ExclusiveGateway: {
    minIn: 1,
    maxIn: MAX_DEGREE,
    minOut: 1,
    maxOut: MAX_DEGREE,
    allows: notStart,
  },
  ParallelGateway: { minIn: 1, maxIn: MAX_DEGREE, minOut: 1, maxOut: MAX_DEGREE, allows: notStart },
  ConditionalParallelGateway: {
    minIn: 1,
    maxIn: MAX_DEGREE,
    minOut: 1,
    maxOut: MAX_DEGREE,
    allows: notStart,
  },
  ConvergeGateway: { minIn: 1, maxIn: MAX_DEGREE, minOut: 1, maxOut: 1, allows: notStart },
}

const SINK_RULE: Rule = { minIn: 1, maxIn: MAX_DEGREE, minOut: 0, maxOut: 0, allows: () => false }

function degreeText(min: number, max: number): string {
  return min === max ? `exactly ${min}` : `between ${min} and ${max}`
}

/**
 * The connection rules of each node type: how many flows may enter and leave it and which
 * node types it may point to. Unlike the Python engine, every node is checked and every
 * failing node is reported.
 */
export function checkConnections(
  graph: Graph,
  problems: ProblemList,
  sinkTypes: ReadonlySet<string>,
): void {
  for (const node of graph.nodes.values()) {
    let rule: Rule | undefined
    if (node.category === 'end') {
      if (node.type === 'EmptyEndEvent' || sinkTypes.has(node.type)) rule = SINK_RULE
    } else {
      rule = RULES[node.type]
    }
    if (!rule) {
      problems.add(
        'TreeInvalidException',
        'UNKNOWN_NODE_TYPE',
        node.category === 'end'
          ? `end event type "${node.type}" is neither EmptyEndEvent nor a registered sink type`
          : `node type "${node.type}" is unknown`,
        { nodeId: node.id },
      )
      continue
    }
    for (const [index, targetId] of node.targets.entries()) {
      const target = graph.nodes.get(targetId)
      if (target && !rule.allows(target)) {
        problems.add(
          'ConnectionValidateError',
          'TARGET_NOT_ALLOWED',
          `a ${node.type} cannot connect to a ${target.type} node ("${node.id}" -> "${target.id}")`,
          { nodeId: node.id, flowId: node.outgoing[index] },
        )
      }
    }
    const inDegree = node.sources.length
    if (inDegree < rule.minIn || inDegree > rule.maxIn) {
      problems.add(
        'ConnectionValidateError',
        'IN_DEGREE',
        `${node.type} "${node.id}" has ${inDegree} incoming flows; it must have ${degreeText(rule.minIn, rule.maxIn)}`,
        { nodeId: node.id },
      )
    }
    const outDegree = node.targets.length
    if (outDegree < rule.minOut || outDegree > rule.maxOut) {
      problems.add(
        'ConnectionValidateError',
        'OUT_DEGREE',
        `${node.type} "${node.id}" has ${outDegree} outgoing flows; it must have ${degreeText(rule.minOut, rule.maxOut)}`,
        { nodeId: node.id },
      )
    }
  }
}
