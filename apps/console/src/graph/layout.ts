import dagre from '@dagrejs/dagre'

/** The parts of a bamboo (engine format) tree the graph draws. */
export interface TreeShape {
  id?: string
  start_event: TreeNodeShape
  end_event: TreeNodeShape
  activities: Record<string, TreeNodeShape & { pipeline?: TreeShape }>
  gateways: Record<string, TreeNodeShape>
  flows: Record<string, { id: string; source: string; target: string; is_default?: boolean | null }>
}

/** A node of the tree as far as the graph cares. */
export interface TreeNodeShape {
  id: string
  type: string
  name?: string | null
  component?: { code?: string; version?: string | null } | null
  conditions?: Record<string, { evaluate?: string; name?: string | null }> | null
  default_condition?: { flow_id?: string; name?: string | null } | null
  [extra: string]: unknown
}

/** A node's state as the server reports it (`GET /api/runs/{id}/graph`, the `node` event). */
export interface NodeState {
  node_id: string
  parent_id?: string | null
  state: string
  name?: string | null
  version?: string
  loop?: number
  inner_loop?: number
  retry?: number
  skip?: boolean
  error_ignored?: boolean
  started_time?: number | null
  archived_time?: number | null
}

/** What a node is drawn as. */
export type NodeKind = 'start' | 'end' | 'activity' | 'subprocess' | 'gateway'

/** A positioned node; a node inside a subprocess is placed relative to its group. */
export interface LaidNode {
  id: string
  kind: NodeKind
  /** The bamboo node type (`ServiceActivity`, `ExclusiveGateway`…). */
  type: string
  label: string
  /** The subprocess this node is drawn inside. */
  parentId?: string
  x: number
  y: number
  width: number
  height: number
  component?: string
}

/** A flow between two nodes. */
export interface LaidEdge {
  id: string
  source: string
  target: string
  /** The condition of a gateway's branch, or `default`. */
  label?: string
  parentId?: string
}

/** The laid out tree: it depends on the tree only, so state changes do not move anything. */
export interface Layout {
  nodes: LaidNode[]
  edges: LaidEdge[]
  width: number
  height: number
}

/** A node as drawn now: its place and its state with the loop and retry counters. */
export interface PaintedNode extends LaidNode {
  state: string | null
  loop: number
  retry: number
  skip: boolean
  errorIgnored: boolean
}

/** Sizes and spacing of the drawing. */
export const SIZES = {
  activity: { width: 180, height: 56 },
  gateway: { width: 48, height: 48 },
  event: { width: 40, height: 40 },
  /** Space around a subprocess's inner graph, and above it for its title. */
  padding: 20,
  header: 32,
  nodesep: 24,
  ranksep: 48,
} as const

const GATEWAY_SYMBOLS: Record<string, string> = {
  ExclusiveGateway: '×',
  ParallelGateway: '+',
  ConditionalParallelGateway: '◇',
  ConvergeGateway: '⊕',
}

/** The short symbol drawn in a gateway. */
export function gatewaySymbol(type: string): string {
  return GATEWAY_SYMBOLS[type] ?? '◇'
}

function kindOf(node: TreeNodeShape, tree: TreeShape): NodeKind {
  if (node.id === tree.start_event.id) return 'start'
  if (node.id === tree.end_event.id) return 'end'
  if (node.type === 'SubProcess') return 'subprocess'
  if (node.type.endsWith('Gateway')) return 'gateway'
  return 'activity'
}

function labelOf(node: TreeNodeShape, kind: NodeKind): string {
  if (node.name) return node.name
  if (kind === 'activity' && node.component?.code) return node.component.code
  if (kind === 'gateway') return node.type.replace(/Gateway$/, '')
  if (kind === 'start') return 'start'
  if (kind === 'end') return 'end'
  return node.id
}

function edgeLabel(tree: TreeShape, flowId: string, source: string): string | undefined {
  const gateway = tree.gateways[source]
  if (!gateway) return undefined
  if (gateway.default_condition?.flow_id === flowId)
    return gateway.default_condition.name ?? 'default'
  const condition = gateway.conditions?.[flowId]
  if (!condition) return undefined
  return condition.name || condition.evaluate
}

function allNodes(tree: TreeShape): TreeNodeShape[] {
  return [
    tree.start_event,
    ...Object.values(tree.activities ?? {}),
    ...Object.values(tree.gateways ?? {}),
    tree.end_event,
  ]
}

/**
 * Lays out a bamboo tree left to right with dagre. A subprocess is a group the size of its own
 * inner layout, its nodes placed inside it (relative positions, as @xyflow/react's sub-flows take
 * them). Parents come before their children in `nodes`.
 */
export function layoutTree(tree: TreeShape, parentId?: string): Layout {
  const graph = new dagre.graphlib.Graph({ multigraph: true })
  graph.setGraph({
    rankdir: 'LR',
    nodesep: SIZES.nodesep,
    ranksep: SIZES.ranksep,
    marginx: 0,
    marginy: 0,
  })
  graph.setDefaultEdgeLabel(() => ({}))
  const inner = new Map<string, Layout>()
  const sized: { node: TreeNodeShape; kind: NodeKind; width: number; height: number }[] = []
  for (const node of allNodes(tree)) {
    const kind = kindOf(node, tree)
    let size: { width: number; height: number }
    if (kind === 'subprocess' && node.pipeline) {
      const sub = layoutTree(node.pipeline as TreeShape, node.id)
      inner.set(node.id, sub)
      size = {
        width: Math.max(sub.width + 2 * SIZES.padding, SIZES.activity.width),
        height: sub.height + SIZES.header + SIZES.padding,
      }
    } else if (kind === 'gateway') size = SIZES.gateway
    else if (kind === 'start' || kind === 'end') size = SIZES.event
    else size = SIZES.activity
    sized.push({ node, kind, ...size })
    graph.setNode(node.id, { width: size.width, height: size.height })
  }
  const edges: LaidEdge[] = []
  for (const flow of Object.values(tree.flows ?? {})) {
    if (!graph.hasNode(flow.source) || !graph.hasNode(flow.target)) continue
    graph.setEdge(flow.source, flow.target, {}, flow.id)
    const label = edgeLabel(tree, flow.id, flow.source)
    edges.push({
      id: flow.id,
      source: flow.source,
      target: flow.target,
      ...(label === undefined ? {} : { label }),
      ...(parentId === undefined ? {} : { parentId }),
    })
  }
  dagre.layout(graph)
  const offsetX = parentId === undefined ? 0 : SIZES.padding
  const offsetY = parentId === undefined ? 0 : SIZES.header
  const nodes: LaidNode[] = []
  let width = 0
  let height = 0
  for (const { node, kind, width: w, height: h } of sized) {
    const placed = graph.node(node.id) as { x: number; y: number }
    const x = Math.round(placed.x - w / 2)
    const y = Math.round(placed.y - h / 2)
    width = Math.max(width, x + w)
    height = Math.max(height, y + h)
    nodes.push({
      id: node.id,
      kind,
      type: node.type,
      label: labelOf(node, kind),
      x: x + offsetX,
      y: y + offsetY,
      width: w,
      height: h,
      ...(parentId === undefined ? {} : { parentId }),
      ...(node.component?.code ? { component: node.component.code } : {}),
    })
    const sub = inner.get(node.id)
    if (sub) {
      nodes.push(...sub.nodes)
      edges.push(...sub.edges)
    }
  }
  return { nodes, edges, width, height }
}

/** Gives each laid out node its state and counters; a node not reached yet has state `null`. */
export function paintLayout(layout: Layout, states: Record<string, NodeState>): PaintedNode[] {
  return layout.nodes.map((node) => {
    const s = states[node.id]
    return {
      ...node,
      state: s?.state ?? null,
      loop: s?.loop ?? 1,
      retry: s?.retry ?? 0,
      skip: s?.skip ?? false,
      errorIgnored: s?.error_ignored ?? false,
    }
  })
}

/** The counters shown on a node: `loop 3` once it looped, `retry 2` once retried, skip. */
export function counters(node: Pick<PaintedNode, 'loop' | 'retry' | 'skip' | 'errorIgnored'>) {
  const parts: string[] = []
  if (node.loop > 1) parts.push(`loop ${node.loop}`)
  if (node.retry > 0) parts.push(`retry ${node.retry}`)
  if (node.skip) parts.push('skipped')
  if (node.errorIgnored) parts.push('error ignored')
  return parts
}

/** The states after a `node` event: the newer state of that node replaces the older one. */
export function applyNodeState(
  states: Record<string, NodeState>,
  update: NodeState,
): Record<string, NodeState> {
  const current = states[update.node_id]
  if (current && sameState(current, update)) return states
  return { ...states, [update.node_id]: update }
}

function sameState(a: NodeState, b: NodeState): boolean {
  return (
    a.state === b.state &&
    a.version === b.version &&
    a.loop === b.loop &&
    a.retry === b.retry &&
    a.skip === b.skip
  )
}
