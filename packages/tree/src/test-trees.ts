import type { EngineTree, Gateway, PipelineTree } from './types.js'

type Kind = 'act' | 'sub' | 'pg' | 'eg' | 'cpg' | 'cg'

const TYPES: Record<Kind, string> = {
  act: 'ServiceActivity',
  sub: 'SubProcess',
  pg: 'ParallelGateway',
  eg: 'ExclusiveGateway',
  cpg: 'ConditionalParallelGateway',
  cg: 'ConvergeGateway',
}

/**
 * A tree from an edge list, for tests: `start` and `end` are the events, every other node's kind
 * is given by its name's prefix (`act`, `sub`, `pg`, `eg`, `cpg`, `cg`). Flows are named
 * `source>target` (with `#n` for repeats); conditional gateways get `True` on every branch.
 */
export function graphTree(edges: Array<[string, string]>, id = 'root'): EngineTree {
  const kindOf = (name: string): Kind | 'start' | 'end' => {
    if (name.startsWith('start')) return 'start'
    if (name.startsWith('end')) return 'end'
    const kind = (['cpg', 'act', 'sub', 'pg', 'eg', 'cg'] as const).find((k) => name.startsWith(k))
    if (!kind) throw new TypeError(`cannot tell the kind of ${name}`)
    return kind
  }
  const incoming = new Map<string, string[]>()
  const outgoing = new Map<string, string[]>()
  const tree: EngineTree = {
    id,
    start_event: { id: 'start', name: '', type: 'EmptyStartEvent', incoming: '', outgoing: '' },
    end_event: { id: 'end', name: '', type: 'EmptyEndEvent', incoming: [], outgoing: '' },
    activities: {},
    gateways: {},
    flows: {},
    data: { inputs: {}, outputs: [] },
  }
  const names = new Set<string>(['start', 'end'])
  for (const [source, target] of edges) {
    names.add(source)
    names.add(target)
    let flowId = `${source}>${target}`
    for (let n = 2; tree.flows[flowId]; n++) flowId = `${source}>${target}#${n}`
    tree.flows[flowId] = { id: flowId, source, target, is_default: false }
    outgoing.set(source, [...(outgoing.get(source) ?? []), flowId])
    incoming.set(target, [...(incoming.get(target) ?? []), flowId])
  }
  for (const name of names) {
    const kind = kindOf(name)
    const inc = incoming.get(name) ?? []
    const out = outgoing.get(name) ?? []
    if (kind === 'start') {
      if (name === 'start') tree.start_event.outgoing = out[0] ?? ''
      continue
    }
    if (kind === 'end') {
      tree.end_event.incoming = inc
      continue
    }
    if (kind === 'act') {
      tree.activities[name] = {
        id: name,
        name,
        type: 'ServiceActivity',
        incoming: inc,
        outgoing: out[0] ?? '',
        component: { code: 'debug_node', inputs: {} },
      }
    } else if (kind === 'sub') {
      tree.activities[name] = {
        id: name,
        name,
        type: 'SubProcess',
        incoming: inc,
        outgoing: out[0] ?? '',
        params: {},
        pipeline: graphTree(
          [
            [`start`, `act_in_${name}`],
            [`act_in_${name}`, 'end'],
          ],
          name,
        ),
      }
      const inner = (tree.activities[name] as { pipeline: PipelineTree }).pipeline
      renameNode(inner, 'start', `start_${name}`)
      renameNode(inner, 'end', `end_${name}`)
    } else {
      const type = TYPES[kind]
      let gateway: Gateway
      if (kind === 'cg')
        gateway = { id: name, name, type: 'ConvergeGateway', incoming: inc, outgoing: out[0] ?? '' }
      else if (kind === 'pg')
        gateway = { id: name, name, type: 'ParallelGateway', incoming: inc, outgoing: out }
      else {
        gateway = {
          id: name,
          name,
          type: type as 'ExclusiveGateway',
          incoming: inc,
          outgoing: out,
          conditions: Object.fromEntries(out.map((f) => [f, { evaluate: 'True' }])),
        }
      }
      tree.gateways[name] = gateway
    }
  }
  return tree
}

/** Renames a node and the flows' ends that name it. */
export function renameNode(tree: PipelineTree, from: string, to: string): void {
  for (const flow of Object.values(tree.flows)) {
    if (flow.source === from) flow.source = to
    if (flow.target === from) flow.target = to
  }
  if (tree.start_event.id === from) tree.start_event.id = to
  if (tree.end_event.id === from) tree.end_event.id = to
  const rekey = <T extends { id: string }>(record: Record<string, T>) => {
    const node = record[from]
    if (!node) return
    delete record[from]
    node.id = to
    record[to] = node
  }
  rekey(tree.activities)
  rekey(tree.gateways)
}

/** The codes of a validation's problems. */
export function codes(problems: Array<{ code: string }>): string[] {
  return problems.map((p) => p.code)
}

/** Every path to a value inside a JSON tree, the tree itself first. */
export function paths(
  value: unknown,
  prefix: Array<string | number> = [],
): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix]
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) out.push(...paths(item, [...prefix, i]))
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...prefix, key]))
  }
  return out
}
