import { dialectOf } from './dialect.js'
import { platformId, uniqueId } from './ids.js'
import type { Gateway, NodeOutputVariable, PipelineTree } from './types.js'

/** The result of `replaceIds`: the new tree and, for every replaced id, its new id. */
export interface ReplacedIds<T extends PipelineTree> {
  tree: T
  idMap: Record<string, string>
}

/**
 * Gives every node, flow and gateway (subprocess trees included) a new unique id and rewrites
 * every reference to it, as `fast_create_task` does: incoming/outgoing, flow ends, condition keys,
 * default flows, matched converge gateways, node-output sources, `source_info` of constants, and
 * the platform's layout (`location`, `line`). New ids keep the tree's style: `node…`/`line…` for
 * the platform format, `e…`/`f…` for the engine format. The input is not changed.
 */
export function replaceIds<T extends PipelineTree>(tree: T): ReplacedIds<T> {
  const idMap: Record<string, string> = {}
  const copy = structuredClone(tree)
  rewrite(copy, dialectOf(tree) === 'platform', idMap, undefined)
  return { tree: copy, idMap }
}

function rewrite(
  tree: PipelineTree,
  platform: boolean,
  idMap: Record<string, string>,
  newTreeId: string | undefined,
): void {
  const scope = new Map<string, string>()
  const newNodeId = () => (platform ? platformId('node') : uniqueId('e'))
  const newFlowId = () => (platform ? platformId('line') : uniqueId('f'))
  scope.set(tree.start_event.id, newNodeId())
  scope.set(tree.end_event.id, newNodeId())
  for (const id of Object.keys(tree.activities)) scope.set(id, newNodeId())
  for (const id of Object.keys(tree.gateways ?? {})) scope.set(id, newNodeId())
  for (const id of Object.keys(tree.flows)) scope.set(id, newFlowId())
  for (const [from, to] of scope) idMap[from] = to
  const m = (id: string): string => scope.get(id) ?? id
  const refs = <R extends string | string[]>(value: R): R =>
    (Array.isArray(value) ? value.map(m) : value === '' ? value : m(value)) as R

  if (newTreeId !== undefined) tree.id = newTreeId
  else if (tree.id !== undefined) tree.id = idMap[tree.id] = uniqueId('p')

  tree.start_event.id = m(tree.start_event.id)
  tree.start_event.outgoing = refs(tree.start_event.outgoing)
  tree.end_event.id = m(tree.end_event.id)
  tree.end_event.incoming = refs(tree.end_event.incoming)

  const activities: PipelineTree['activities'] = {}
  for (const activity of Object.values(tree.activities)) {
    activity.id = m(activity.id)
    activity.incoming = refs(activity.incoming)
    activity.outgoing = refs(activity.outgoing)
    if (activity.type === 'SubProcess') rewrite(activity.pipeline, platform, idMap, activity.id)
    activities[activity.id] = activity
  }
  tree.activities = activities

  const gateways: Record<string, Gateway> = {}
  for (const gateway of Object.values(tree.gateways ?? {})) {
    gateway.id = m(gateway.id)
    gateway.incoming = refs(gateway.incoming)
    if (gateway.type === 'ConvergeGateway') gateway.outgoing = refs(gateway.outgoing)
    else {
      gateway.outgoing = refs(gateway.outgoing)
      if (typeof gateway.converge_gateway_id === 'string') {
        gateway.converge_gateway_id = m(gateway.converge_gateway_id)
      }
    }
    if (gateway.type === 'ExclusiveGateway' || gateway.type === 'ConditionalParallelGateway') {
      const conditions: typeof gateway.conditions = {}
      for (const [flowId, condition] of Object.entries(gateway.conditions ?? {})) {
        conditions[m(flowId)] = condition
      }
      gateway.conditions = conditions
      if (gateway.default_condition?.flow_id !== undefined) {
        gateway.default_condition.flow_id = m(gateway.default_condition.flow_id)
      }
    }
    gateways[gateway.id] = gateway
  }
  tree.gateways = gateways

  const flows: PipelineTree['flows'] = {}
  for (const flow of Object.values(tree.flows)) {
    flow.id = m(flow.id)
    flow.source = m(flow.source)
    flow.target = m(flow.target)
    flows[flow.id] = flow
  }
  tree.flows = flows

  for (const variable of Object.values(tree.data?.inputs ?? {})) {
    const output = variable as NodeOutputVariable
    if (typeof output.source_act === 'string') output.source_act = m(output.source_act)
    else if (Array.isArray(output.source_act)) {
      for (const source of output.source_act) source.source_act = m(source.source_act)
    }
  }
  for (const constant of Object.values(tree.constants ?? {})) {
    if (!constant.source_info || typeof constant.source_info !== 'object') continue
    const info: Record<string, string[]> = {}
    for (const [nodeId, keys] of Object.entries(constant.source_info)) info[m(nodeId)] = keys
    constant.source_info = info
  }
  rewriteLayout(tree, m)
}

/** The platform's canvas layout: `location` items and `line` items name nodes and flows. */
function rewriteLayout(tree: PipelineTree, m: (id: string) => string): void {
  const asRecord = (value: unknown): Record<string, unknown> | undefined =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  if (Array.isArray(tree.location)) {
    for (const item of tree.location) {
      const location = asRecord(item)
      if (location && typeof location.id === 'string') location.id = m(location.id)
    }
  }
  if (Array.isArray(tree.line)) {
    for (const item of tree.line) {
      const line = asRecord(item)
      if (!line) continue
      if (typeof line.id === 'string') line.id = m(line.id)
      for (const end of [asRecord(line.source), asRecord(line.target)]) {
        if (end && typeof end.id === 'string') end.id = m(end.id)
      }
    }
  }
}
