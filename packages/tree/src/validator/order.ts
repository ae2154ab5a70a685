import type { Graph } from '../graph.js'

/** The nodes reachable from the start event and each one's longest distance from it. */
export interface Order {
  reachable: Set<string>
  /** Longest path length from the start event, ignoring flows that close a loop. */
  distance: Map<string, number>
  /** Flows that close a loop (back edges of the walk); none means the reachable part has no cycle. */
  loopFlows: number
}

/**
 * Walks the graph from the start event without recursion (trees of 10,000 nodes and more), finds
 * the flows that close a loop (back edges of the walk) and measures every reachable node's longest
 * distance from the start along the remaining flows, which is how the Python engine orders gateways.
 * The walk works on node positions (`Graph.list`), not ids.
 */
export function orderFromStart(graph: Graph): Order {
  const WHITE = 0
  const GREY = 1
  const BLACK = 2
  const list = graph.list
  const color = new Uint8Array(list.length)
  const postOrder: number[] = []
  /** Back edges, as `node position * FLOW_SLOTS + flow index`; most trees have none. */
  const backEdges = new Set<number>()
  const slots = list.reduce((most, node) => Math.max(most, node.targetIndexes.length), 1)
  const start = graph.nodes.get(graph.startId)
  if (!start) return { reachable: new Set(), distance: new Map(), loopFlows: 0 }

  // The walk's stack: a node's position and the index of its next flow to follow.
  const stackNode: number[] = [start.index]
  const stackNext: number[] = [0]
  color[start.index] = GREY
  while (stackNode.length > 0) {
    const top = stackNode.length - 1
    const at = stackNode[top]!
    const targets = list[at]!.targetIndexes
    const index = stackNext[top]!
    if (index < targets.length) {
      stackNext[top] = index + 1
      const target = targets[index]!
      if (target < 0) continue
      if (color[target] === GREY) backEdges.add(at * slots + index)
      else if (color[target] === WHITE) {
        color[target] = GREY
        stackNode.push(target)
        stackNext.push(0)
      }
      continue
    }
    color[at] = BLACK
    postOrder.push(at)
    stackNode.pop()
    stackNext.pop()
  }

  const longest = new Int32Array(list.length).fill(-1)
  longest[start.index] = 0
  for (let i = postOrder.length - 1; i >= 0; i--) {
    const at = postOrder[i]!
    const from = longest[at]!
    if (from < 0) continue
    const targets = list[at]!.targetIndexes
    for (let index = 0; index < targets.length; index++) {
      const target = targets[index]!
      if (target < 0 || (backEdges.size > 0 && backEdges.has(at * slots + index))) continue
      if (longest[target]! < from + 1) longest[target] = from + 1
    }
  }

  const reachable = new Set<string>()
  const distance = new Map<string, number>()
  for (const at of postOrder) {
    const id = list[at]!.id
    reachable.add(id)
    if (longest[at]! >= 0) distance.set(id, longest[at]!)
  }
  return { reachable, distance, loopFlows: backEdges.size }
}

/**
 * The loops of the graph: one list of node ids per strongly connected component that holds a
 * cycle, each list walking the cycle and ending where it started (Tarjan's algorithm, iterative).
 */
export function findCycles(graph: Graph): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const sccStack: string[] = []
  const components: string[][] = []

  for (const root of graph.nodes.keys()) {
    if (index.has(root)) continue
    const work: Array<{ id: string; next: number }> = [{ id: root, next: 0 }]
    index.set(root, counter)
    low.set(root, counter++)
    sccStack.push(root)
    onStack.add(root)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      const targets = graph.nodes.get(frame.id)?.targets ?? []
      if (frame.next < targets.length) {
        const target = targets[frame.next++]!
        if (!graph.nodes.has(target)) continue
        if (!index.has(target)) {
          index.set(target, counter)
          low.set(target, counter++)
          sccStack.push(target)
          onStack.add(target)
          work.push({ id: target, next: 0 })
        } else if (onStack.has(target)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(target)!))
        }
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!))
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = []
        let member: string | undefined
        do {
          member = sccStack.pop()!
          onStack.delete(member)
          component.push(member)
        } while (member !== frame.id)
        const selfLoop = graph.nodes.get(frame.id)!.targets.includes(frame.id)
        if (component.length > 1 || selfLoop) components.push(component)
      }
    }
  }
  return components.map((component) => walkCycle(graph, new Set(component)))
}

function walkCycle(graph: Graph, members: Set<string>): string[] {
  const first = [...members].sort()[0]!
  const path = [first]
  const seenAt = new Map([[first, 0]])
  let current = first
  for (;;) {
    const next = graph.nodes.get(current)!.targets.find((t) => members.has(t))!
    const at = seenAt.get(next)
    if (at !== undefined) return [...path.slice(at), next]
    seenAt.set(next, path.length)
    path.push(next)
    current = next
  }
}
