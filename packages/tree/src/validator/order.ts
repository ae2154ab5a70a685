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
 */
export function orderFromStart(graph: Graph): Order {
  const WHITE = 0
  const GREY = 1
  const BLACK = 2
  const color = new Map<string, number>()
  const postOrder: string[] = []
  const backEdges = new Set<string>()
  const stack: Array<{ id: string; next: number }> = [{ id: graph.startId, next: 0 }]
  color.set(graph.startId, GREY)

  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!
    const node = graph.nodes.get(frame.id)
    const targets = node?.targets ?? []
    if (frame.next < targets.length) {
      const index = frame.next++
      const target = targets[index]!
      if (!graph.nodes.has(target)) continue
      const state = color.get(target) ?? WHITE
      if (state === GREY) backEdges.add(`${frame.id}\u0000${index}`)
      else if (state === WHITE) {
        color.set(target, GREY)
        stack.push({ id: target, next: 0 })
      }
      continue
    }
    color.set(frame.id, BLACK)
    postOrder.push(frame.id)
    stack.pop()
  }

  const distance = new Map<string, number>([[graph.startId, 0]])
  for (let i = postOrder.length - 1; i >= 0; i--) {
    const id = postOrder[i]!
    const from = distance.get(id)
    if (from === undefined) continue
    const targets = graph.nodes.get(id)!.targets
    for (let index = 0; index < targets.length; index++) {
      // Most trees have no loop: their flows are never looked up as back edges.
      if (backEdges.size > 0 && backEdges.has(`${id}\u0000${index}`)) continue
      const target = targets[index]!
      if ((distance.get(target) ?? -1) < from + 1) distance.set(target, from + 1)
    }
  }
  return { reachable: new Set(postOrder), distance, loopFlows: backEdges.size }
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
