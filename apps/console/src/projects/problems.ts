/** One problem `POST /api/trees/validate` found. */
export interface TreeProblem {
  node_id: string | null
  flow_id?: string | null
  path: string
  message: string
  severity: string
}

/** The problems of each node or flow, for the graph to draw where they are. */
export function problemsByNode(problems: TreeProblem[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const p of problems) {
    const at = p.node_id ?? p.flow_id
    if (!at) continue
    const list = out[at] ?? []
    list.push(`${p.severity === 'warning' ? '⚠' : '✖'} ${p.message}`)
    out[at] = list
  }
  return out
}
