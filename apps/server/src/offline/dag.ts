import type { EngineTree, Flow, ServiceActivityNode } from '@culm/tree'
import { uniqueId } from '@culm/tree'
import type { Issue } from '../errors.js'
import { isObject, type Json } from './checks.js'
import { type Layout, layoutOf } from './layout.js'

/** The node type of the DAG's one start node. */
export const START_TYPE = 'START'

/** The most nodes and edges a DAG may have. */
export const MAX_NODES = 1000
export const MAX_EDGES = 5000

/** A job node of a DAG after validation. */
export interface DagJob {
  nodeId: string
  name: string
  /** The component code the node runs (`componentKey`, else `type`). */
  component: string
  /** The node's own parameters: the defaults of its inputs. */
  params: Record<string, unknown>
}

/** A validated DAG: its start node, its jobs and, per job, the jobs it waits for. */
export interface Dag {
  startId: string
  jobs: DagJob[]
  /** Job node id → the job node ids with an edge into it (the start node left out). */
  after: Map<string, string[]>
}

/** The node id and slot id an edge end names: `"id"`, `{nodeId, slotId}` or `{cell, port}`. */
function edgeEnd(
  edge: Json,
  side: 'source' | 'target',
): { nodeId: unknown; slotId: unknown } | undefined {
  const end = edge[side]
  const slotField = side === 'source' ? 'sourceSlotId' : 'targetSlotId'
  if (typeof end === 'string') return { nodeId: end, slotId: edge[slotField] ?? null }
  if (isObject(end))
    return { nodeId: end.nodeId ?? end.cell, slotId: end.slotId ?? end.port ?? null }
  return undefined
}

/** A node's parameters: an object of key → value, or a list of `{ key, value }`. */
function paramsOf(value: unknown, field: string, issues: Issue[]): Record<string, unknown> {
  if (value === null || value === undefined) return {}
  if (isObject(value)) return { ...value }
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = {}
    value.forEach((item, i) => {
      const key = isObject(item) ? (item.key ?? item.name) : undefined
      if (typeof key !== 'string' || key === '') {
        issues.push({ field: `${field}.${i}`, message: 'must be an object with a string key' })
      } else {
        out[key] = (item as Json).value ?? null
      }
    })
    return out
  }
  issues.push({
    field,
    message: 'must be an object of key → value, a list of {key, value}, or null',
  })
  return {}
}

function slotIds(value: unknown, field: string, issues: Issue[]): Set<string> {
  const ids = new Set<string>()
  if (value === null || value === undefined) return ids
  if (!Array.isArray(value)) {
    issues.push({ field, message: 'must be a list of slots or null' })
    return ids
  }
  value.forEach((slot, i) => {
    if (!isObject(slot) || typeof slot.id !== 'string' || slot.id === '') {
      issues.push({ field: `${field}.${i}.id`, message: 'a slot needs a non-empty string id' })
    } else if (ids.has(slot.id)) {
      issues.push({ field: `${field}.${i}.id`, message: `slot id ${slot.id} appears twice` })
    } else {
      ids.add(slot.id)
    }
  })
  return ids
}

/**
 * Checks a template's DAG (`data.nodes`, `data.edges`): one `START` node, unique node ids, job
 * nodes that name a known component, edges between existing nodes and their slots (out of an
 * output slot, into an input slot), none into the start node, no cycle. A job node without an
 * incoming edge follows the start node.
 */
export function parseDag(
  data: Json,
  hasComponent: (code: string) => boolean,
): { dag: Dag; issues: [] } | { dag: undefined; issues: Issue[] } {
  const issues: Issue[] = []
  const nodes = data.nodes
  const edges = data.edges ?? []
  if (!Array.isArray(nodes) || nodes.length === 0) {
    return {
      dag: undefined,
      issues: [{ field: 'data.nodes', message: 'must be a non-empty list' }],
    }
  }
  if (nodes.length > MAX_NODES) {
    return {
      dag: undefined,
      issues: [{ field: 'data.nodes', message: `must have at most ${MAX_NODES} nodes` }],
    }
  }
  if (!Array.isArray(edges) || edges.length > MAX_EDGES) {
    return {
      dag: undefined,
      issues: [{ field: 'data.edges', message: `must be a list of at most ${MAX_EDGES} edges` }],
    }
  }
  const starts: string[] = []
  const jobs: DagJob[] = []
  const slots = new Map<string, { inputs: Set<string>; outputs: Set<string> }>()
  nodes.forEach((node, i) => {
    const field = `data.nodes.${i}`
    if (!isObject(node)) {
      issues.push({ field, message: 'must be an object' })
      return
    }
    const nodeId = node.nodeId
    if (typeof nodeId !== 'string' || !/^[\w.:-]{1,128}$/.test(nodeId)) {
      issues.push({
        field: `${field}.nodeId`,
        message: 'must be 1 to 128 letters, digits, _ . : or -',
      })
      return
    }
    if (slots.has(nodeId)) {
      issues.push({ field: `${field}.nodeId`, message: `node id ${nodeId} appears twice` })
      return
    }
    slots.set(nodeId, {
      inputs: slotIds(node.inputSlots, `${field}.inputSlots`, issues),
      outputs: slotIds(node.outputSlots, `${field}.outputSlots`, issues),
    })
    if (typeof node.type !== 'string' || node.type === '') {
      issues.push({ field: `${field}.type`, message: 'must be START or a component code' })
      return
    }
    const name = typeof node.title === 'string' ? node.title : String(node.name ?? nodeId)
    if (node.type === START_TYPE) {
      starts.push(nodeId)
      return
    }
    const key = node.componentKey
    if (key !== null && key !== undefined && typeof key !== 'string') {
      issues.push({ field: `${field}.componentKey`, message: 'must be a component code or null' })
      return
    }
    const component = key || node.type
    if (!hasComponent(component)) {
      issues.push({
        field: key ? `${field}.componentKey` : `${field}.type`,
        message: `no component ${component} is loaded (see GET /api/components)`,
      })
      return
    }
    jobs.push({ nodeId, name, component, params: paramsOf(node.params, `${field}.params`, issues) })
  })
  if (starts.length !== 1) {
    issues.push({
      field: 'data.nodes',
      message: `must have exactly one node of type START, it has ${starts.length}`,
    })
  }
  const after = new Map<string, string[]>(jobs.map((j) => [j.nodeId, []]))
  const startId = starts[0] ?? ''
  edges.forEach((edge, i) => {
    const field = `data.edges.${i}`
    if (!isObject(edge)) {
      issues.push({ field, message: 'must be an object' })
      return
    }
    const source = edgeEnd(edge, 'source')
    const target = edgeEnd(edge, 'target')
    for (const [side, end] of [
      ['source', source],
      ['target', target],
    ] as const) {
      if (!end || typeof end.nodeId !== 'string' || !slots.has(end.nodeId)) {
        issues.push({ field: `${field}.${side}`, message: 'must name a node of data.nodes' })
        return
      }
      if (end.slotId !== null && end.slotId !== undefined) {
        const own = slots.get(end.nodeId)!
        const list = side === 'source' ? own.outputs : own.inputs
        if (typeof end.slotId !== 'string' || !list.has(end.slotId)) {
          issues.push({
            field: `${field}.${side}`,
            message: `slot ${String(end.slotId)} is not an ${side === 'source' ? 'output' : 'input'} slot of node ${end.nodeId}`,
          })
          return
        }
      }
    }
    const from = source!.nodeId as string
    const to = target!.nodeId as string
    if (from === to) {
      issues.push({ field, message: `edge from node ${from} to itself` })
    } else if (to === startId || !after.has(to)) {
      issues.push({
        field: `${field}.target`,
        message: `no edge may lead into the start node ${to}`,
      })
    } else if (from !== startId && !after.has(from)) {
      issues.push({ field: `${field}.source`, message: `node ${from} is not a job node` })
    } else if (from !== startId) {
      const list = after.get(to)!
      if (!list.includes(from)) list.push(from)
    }
  })
  if (issues.length > 0) return { dag: undefined, issues }
  const cycle = findCycle(after)
  if (cycle) {
    return {
      dag: undefined,
      issues: [{ field: 'data.edges', message: `the edges form a cycle: ${cycle.join(' → ')}` }],
    }
  }
  return { dag: { startId, jobs, after }, issues: [] }
}

function findCycle(after: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id]
    state.set(id, 'open')
    path.push(id)
    for (const before of after.get(id) ?? []) {
      const found = visit(before)
      if (found) return found
    }
    path.pop()
    state.set(id, 'done')
    return undefined
  }
  for (const id of after.keys()) {
    const found = visit(id)
    if (found) return found.reverse()
  }
  return undefined
}

/** An engine tree of a DAG run, and which engine node runs which DAG node. */
export interface DagTree {
  tree: EngineTree
  /** DAG node id → engine node id (the start node included). */
  nodeMap: Record<string, string>
}

/**
 * Turns a DAG into an engine tree by its layout (`layoutOf`): a parallel gateway where it forks,
 * a converge gateway where it joins. Each job gets its node parameters overridden by
 * `params[nodeId]` as plain inputs; every element gets a fresh id, so that each run is a
 * pipeline of its own.
 */
export function dagTree(
  dag: Dag,
  params: Record<string, Record<string, unknown>>,
  options: { autoRetry?: { times: number; interval: number } } = {},
): DagTree {
  const tree: EngineTree = {
    id: uniqueId('p'),
    start_event: {
      id: uniqueId('n'),
      name: 'start',
      type: 'EmptyStartEvent',
      incoming: '',
      outgoing: '',
    },
    end_event: {
      id: uniqueId('n'),
      name: 'end',
      type: 'EmptyEndEvent',
      incoming: [],
      outgoing: '',
    },
    activities: {},
    gateways: {},
    flows: {},
    data: { inputs: {}, outputs: [] },
  }
  const nodeMap: Record<string, string> = { [dag.startId]: tree.start_event.id }
  const outgoing = new Map<string, string[]>()
  const incoming = new Map<string, string[]>()
  const link = (source: string, target: string) => {
    const flow: Flow = { id: uniqueId('f'), source, target, is_default: false }
    tree.flows[flow.id] = flow
    outgoing.set(source, [...(outgoing.get(source) ?? []), flow.id])
    incoming.set(target, [...(incoming.get(target) ?? []), flow.id])
  }
  const activity = (job: DagJob): string => {
    const id = uniqueId('n')
    nodeMap[job.nodeId] = id
    const inputs: Record<string, { type: 'plain'; value: unknown }> = {}
    for (const [key, value] of Object.entries({ ...job.params, ...(params[job.nodeId] ?? {}) })) {
      inputs[key] = { type: 'plain', value }
    }
    const node: ServiceActivityNode = {
      id,
      name: job.name,
      type: 'ServiceActivity',
      incoming: [],
      outgoing: '',
      component: { code: job.component, inputs },
      error_ignorable: false,
      retryable: true,
      skippable: true,
      ...(options.autoRetry && options.autoRetry.times > 0
        ? { auto_retry: { enable: true, ...options.autoRetry } }
        : {}),
    }
    tree.activities[id] = node
    return id
  }
  const forkJoin = (): { fork: string; join: string } => {
    const fork = uniqueId('n')
    const join = uniqueId('n')
    tree.gateways[fork] = {
      id: fork,
      name: 'fork',
      type: 'ParallelGateway',
      incoming: [],
      outgoing: [],
      converge_gateway_id: join,
    }
    tree.gateways[join] = {
      id: join,
      name: 'join',
      type: 'ConvergeGateway',
      incoming: [],
      outgoing: '',
    }
    return { fork, join }
  }
  const emit = (layout: Layout, from: string): string => {
    switch (layout.kind) {
      case 'empty':
        return from
      case 'job': {
        const id = activity(layout.job)
        link(from, id)
        return id
      }
      case 'sequence':
        return layout.items.reduce((last, item) => emit(item, last), from)
      case 'parallel': {
        const { fork, join } = forkJoin()
        link(from, fork)
        for (const branch of layout.branches) link(emit(branch, fork), join)
        return join
      }
    }
  }
  const layout = layoutOf(dag)
  // A start event may not lead straight to the end event: a DAG without jobs runs through an
  // empty fork and join.
  const last = emit(
    layout.kind === 'empty' ? { kind: 'parallel', branches: [layout] } : layout,
    tree.start_event.id,
  )
  link(last, tree.end_event.id)
  const single = (id: string) => outgoing.get(id)?.[0] ?? ''
  tree.start_event.outgoing = single(tree.start_event.id)
  tree.end_event.incoming = incoming.get(tree.end_event.id) ?? []
  for (const node of Object.values(tree.activities)) {
    node.incoming = incoming.get(node.id) ?? []
    node.outgoing = single(node.id)
  }
  for (const gateway of Object.values(tree.gateways)) {
    gateway.incoming = incoming.get(gateway.id) ?? []
    if (gateway.type === 'ParallelGateway') gateway.outgoing = outgoing.get(gateway.id) ?? []
    else if (gateway.type === 'ConvergeGateway') gateway.outgoing = single(gateway.id)
  }
  return { tree, nodeMap }
}
