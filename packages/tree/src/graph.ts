import type { FlowRefs, PipelineTree, TreeNode } from './types.js'

/** What a node is, as far as the graph rules care. */
export type NodeCategory = 'start' | 'end' | 'activity' | 'gateway'

/** A node with its flows resolved into neighbour ids. */
export interface GraphNode {
  id: string
  type: string
  category: NodeCategory
  node: TreeNode
  incoming: string[]
  outgoing: string[]
  /** Source node ids, one per incoming flow. */
  sources: string[]
  /** Target node ids, one per outgoing flow, in `outgoing` order. */
  targets: string[]
  /** This node's position in `Graph.list`. */
  index: number
  /** The targets' positions in `Graph.list` (-1 for a target that is not a node of the graph). */
  targetIndexes: number[]
}

/** A pipeline tree seen as a graph; built only from a tree whose flows are consistent. */
export interface Graph {
  tree: PipelineTree
  startId: string
  endId: string
  nodes: Map<string, GraphNode>
  /**
   * The same nodes by position: walks over a big graph index arrays by position rather than
   * look ids up in a map at every step.
   */
  list: GraphNode[]
}

/** `incoming`/`outgoing` as a list: a string is one flow, `''` none. */
export function flowList(refs: FlowRefs | undefined | null): string[] {
  if (Array.isArray(refs)) return refs
  return refs ? [refs] : []
}

interface RecordEnumeration {
  keys: string[]
  values: unknown[]
}

/** The enumerations of id records kept while `withRecordCache` runs. */
let enumerations: WeakMap<object, RecordEnumeration> | undefined

/**
 * Runs `fn` with the enumerations of id records (`recordKeys`, `recordValues`, `treeNodes`) kept
 * until it returns. A tree of thousands of nodes keeps its activities and flows as hash tables,
 * which take milliseconds to enumerate, and validating and preparing one tree walks them a dozen
 * times. `fn` must be synchronous and must not add or remove keys of the records it reads; the
 * arrays it is given are shared and must not be changed.
 */
export function withRecordCache<T>(fn: () => T): T {
  if (enumerations) return fn()
  enumerations = new WeakMap()
  try {
    return fn()
  } finally {
    enumerations = undefined
  }
}

function enumerate(record: Readonly<Record<string, unknown>>): RecordEnumeration {
  let found = enumerations?.get(record)
  if (!found) {
    const keys = Object.keys(record)
    const values = new Array<unknown>(keys.length)
    for (let i = 0; i < keys.length; i++) values[i] = record[keys[i]!]
    found = { keys, values }
    enumerations?.set(record, found)
  }
  return found
}

/** The keys of a record keyed by id (activities, gateways, flows). */
export function recordKeys(record: Readonly<Record<string, unknown>>): readonly string[] {
  return enumerate(record).keys
}

/**
 * The values of a record keyed by id (activities, gateways, flows), in key order. Cheaper than
 * `Object.values` on the hash tables of big trees, and kept inside `withRecordCache`.
 */
export function recordValues<T>(record: Readonly<Record<string, T>>): readonly T[] {
  return enumerate(record).values as T[]
}

/** Every node of one (sub)pipeline tree, start and end events included. */
export function treeNodes(tree: PipelineTree): TreeNode[] {
  return [
    tree.start_event,
    ...recordValues(tree.activities),
    ...recordValues(tree.gateways ?? {}),
    tree.end_event,
  ]
}

function categoryOf(tree: PipelineTree, node: TreeNode): NodeCategory {
  if (node === tree.start_event) return 'start'
  if (node === tree.end_event) return 'end'
  return node.type === 'ServiceActivity' || node.type === 'SubProcess' ? 'activity' : 'gateway'
}

/** Builds the graph of a tree whose flows have been checked (see `checkStructure`). */
export function buildGraph(tree: PipelineTree): Graph {
  const nodes = new Map<string, GraphNode>()
  const list: GraphNode[] = []
  for (const node of treeNodes(tree)) {
    const incoming = flowList(node.incoming)
    const outgoing = flowList(node.outgoing as FlowRefs)
    const graphNode: GraphNode = {
      id: node.id,
      type: node.type,
      category: categoryOf(tree, node),
      node,
      incoming,
      outgoing,
      sources: incoming.map((flowId) => tree.flows[flowId]?.source ?? ''),
      targets: outgoing.map((flowId) => tree.flows[flowId]?.target ?? ''),
      index: list.length,
      targetIndexes: [],
    }
    nodes.set(node.id, graphNode)
    list.push(graphNode)
  }
  for (const node of list) {
    node.targetIndexes = node.targets.map((target) => nodes.get(target)?.index ?? -1)
  }
  return { tree, startId: tree.start_event.id, endId: tree.end_event.id, nodes, list }
}
