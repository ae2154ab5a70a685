import type { TreeNodeShape, TreeShape } from '../graph/layout.js'

/** A node of the tree (subprocesses searched too) with the tree that holds it. */
export function findNode(
  tree: TreeShape,
  nodeId: string,
): { node: TreeNodeShape; tree: TreeShape } | null {
  if (tree.start_event.id === nodeId) return { node: tree.start_event, tree }
  if (tree.end_event.id === nodeId) return { node: tree.end_event, tree }
  const gateway = tree.gateways?.[nodeId]
  if (gateway) return { node: gateway, tree }
  const activity = tree.activities?.[nodeId]
  if (activity) return { node: activity, tree }
  for (const a of Object.values(tree.activities ?? {})) {
    if (a.pipeline) {
      const found = findNode(a.pipeline, nodeId)
      if (found) return found
    }
  }
  return null
}

/** What a node is called: its name, else its component's code, else its id. */
export function nodeLabel(node: TreeNodeShape | null | undefined, id: string): string {
  return node?.name || node?.component?.code || id
}

/** The outgoing flows of a gateway, labelled by their condition and target. */
export function outgoingFlows(tree: TreeShape, gatewayId: string): { id: string; label: string }[] {
  const gateway = tree.gateways?.[gatewayId]
  return Object.values(tree.flows ?? {})
    .filter((f) => f.source === gatewayId)
    .map((f) => {
      const condition = gateway?.conditions?.[f.id]
      const isDefault = gateway?.default_condition?.flow_id === f.id
      const why = condition ? condition.name || condition.evaluate : isDefault ? 'default' : ''
      const target = nodeLabel(findNode(tree, f.target)?.node, f.target)
      return { id: f.id, label: `${why ? `${why} → ` : '→ '}${target} (${f.id})` }
    })
}
