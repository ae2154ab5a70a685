import type { NodeRecord } from '@culm/engine'

/**
 * Node definitions by id, shared by the transactions of one `KyselyRuntime`. A definition never
 * changes once written, so it may be kept across transactions; what it tells is which nodes come
 * next, so that a transaction can read their states and data together with the node it needs.
 */
export class NodeDetails {
  readonly #nodes = new Map<string, NodeRecord>()
  readonly #limit: number

  constructor(limit = 200_000) {
    this.#limit = limit
  }

  has(id: string): boolean {
    return this.#nodes.has(id)
  }

  remember(node: NodeRecord): void {
    if (this.#nodes.has(node.id)) return
    if (this.#nodes.size >= this.#limit) this.#nodes.clear()
    this.#nodes.set(node.id, node)
  }

  /**
   * Up to `limit` ids of the nodes that follow `id` (its targets, a subprocess's start event),
   * nearest first, as far as the definitions known here reach. Nodes for which `skip` is true are
   * walked through but not listed.
   */
  following(id: string, limit: number, skip: (id: string) => boolean): string[] {
    const found: string[] = []
    const seen = new Set([id])
    const queue = [id]
    // The walk is bounded too: a stretch of skipped nodes must not make it read the whole tree.
    for (let head = 0; head < queue.length && head < limit * 4; head++) {
      const node = this.#nodes.get(queue[head]!)
      if (!node) continue
      const next = node.startEventId ? [node.startEventId] : []
      for (const target of node.targets) next.push(target.targetId)
      for (const nextId of next) {
        if (seen.has(nextId)) continue
        seen.add(nextId)
        queue.push(nextId)
        if (skip(nextId)) continue
        found.push(nextId)
        if (found.length >= limit) return found
      }
    }
    return found
  }
}
