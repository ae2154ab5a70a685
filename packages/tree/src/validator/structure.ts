import { flowList, recordKeys, recordValues, treeNodes } from '../graph.js'
import type { FlowRefs, PipelineTree } from '../types.js'
import type { ProblemList } from './problems.js'

/**
 * Checks that the tree's parts agree with one another: keys match ids, every flow named by a
 * node exists and names that node back, every flow joins two nodes of this tree.
 * Returns whether a graph can be built from the tree.
 */
export function checkStructure(tree: PipelineTree, problems: ProblemList): boolean {
  const before = problems.count

  const sections = [
    ['activities', tree.activities],
    ['gateways', tree.gateways ?? {}],
    ['flows', tree.flows],
  ] as const
  for (const [section, record] of sections) {
    const keys = recordKeys(record)
    const items = recordValues<{ id: string }>(record)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      const item = items[i]!
      if (key !== item.id) {
        problems.add(
          'TreeInvalidException',
          'KEY_MISMATCH',
          `${section} key "${key}" does not match the id "${item.id}" of its value`,
          section === 'flows' ? { flowId: key } : { nodeId: key },
        )
      }
    }
  }

  const nodes = treeNodes(tree)
  const byId = new Map<string, (typeof nodes)[number]>()
  for (const node of nodes) {
    if (byId.has(node.id)) {
      problems.add(
        'TreeInvalidException',
        'DUPLICATE_ID',
        `node id "${node.id}" is used by more than one node`,
        { nodeId: node.id },
      )
    }
    byId.set(node.id, node)
  }

  // Sets for nodes with many flows, so that a converge gateway joining 500 branches costs 500
  // look-ups rather than 500 x 500 comparisons.
  const sets = new Map<FlowRefs, Set<string>>()
  const listed = (refs: FlowRefs, flowId: string): boolean => {
    if (!Array.isArray(refs)) return refs === flowId
    if (refs.length < 16) return refs.includes(flowId)
    let set = sets.get(refs)
    if (!set) {
      set = new Set(refs)
      sets.set(refs, set)
    }
    return set.has(flowId)
  }

  for (const node of nodes) {
    for (const flowId of flowList(node.incoming)) {
      const flow = tree.flows[flowId]
      if (!flow) {
        problems.add(
          'TreeInvalidException',
          'FLOW_MISSING',
          `incoming flow "${flowId}" of node "${node.id}" is not in flows`,
          { nodeId: node.id, flowId },
        )
      } else if (flow.target !== node.id) {
        problems.add(
          'TreeInvalidException',
          'FLOW_NOT_LINKED',
          `node "${node.id}" lists "${flowId}" as incoming, but that flow targets "${flow.target}"`,
          { nodeId: node.id, flowId },
        )
      }
    }
    for (const flowId of flowList(node.outgoing as FlowRefs)) {
      const flow = tree.flows[flowId]
      if (!flow) {
        problems.add(
          'TreeInvalidException',
          'FLOW_MISSING',
          `outgoing flow "${flowId}" of node "${node.id}" is not in flows`,
          { nodeId: node.id, flowId },
        )
      } else if (flow.source !== node.id) {
        problems.add(
          'TreeInvalidException',
          'FLOW_NOT_LINKED',
          `node "${node.id}" lists "${flowId}" as outgoing, but that flow leaves "${flow.source}"`,
          { nodeId: node.id, flowId },
        )
      }
    }
  }

  const flowIds = recordKeys(tree.flows)
  const flows = recordValues(tree.flows)
  for (let i = 0; i < flowIds.length; i++) {
    const flowId = flowIds[i]!
    const flow = flows[i]!
    const source = byId.get(flow.source)
    const target = byId.get(flow.target)
    if (!source) {
      problems.add(
        'TreeInvalidException',
        'FLOW_SOURCE_MISSING',
        `flow "${flowId}" leaves "${flow.source}", which is not a node of this tree`,
        { flowId },
      )
    } else if (!listed(source.outgoing as FlowRefs, flowId)) {
      problems.add(
        'TreeInvalidException',
        'FLOW_NOT_LINKED',
        `flow "${flowId}" leaves "${flow.source}", but that node does not list it as outgoing`,
        { flowId, nodeId: flow.source },
      )
    }
    if (!target) {
      problems.add(
        'TreeInvalidException',
        'FLOW_TARGET_MISSING',
        `flow "${flowId}" targets "${flow.target}", which is not a node of this tree`,
        { flowId },
      )
    } else if (!listed(target.incoming, flowId)) {
      problems.add(
        'TreeInvalidException',
        'FLOW_NOT_LINKED',
        `flow "${flowId}" targets "${flow.target}", but that node does not list it as incoming`,
        { flowId, nodeId: flow.target },
      )
    }
  }

  for (const activity of recordValues(tree.activities)) {
    if (activity.type !== 'SubProcess') continue
    const innerId = activity.pipeline.id
    if (innerId !== undefined && innerId !== activity.id) {
      problems.add(
        'TreeInvalidException',
        'SUBPROCESS_ID_MISMATCH',
        `subprocess "${activity.id}" holds a pipeline with id "${innerId}"; they must be equal`,
        { nodeId: activity.id },
      )
    }
  }

  return problems.count === before
}

/** Every node and flow id of a tree and its subprocess trees, with where it is used. */
export function checkUniqueIds(tree: PipelineTree, problems: ProblemList): void {
  const seen = new Map<string, string>()
  const visit = (current: PipelineTree, where: string): void => {
    const use = (id: string, place: string, isFlow: boolean): void => {
      const previous = seen.get(id)
      if (previous !== undefined && previous !== place) {
        problems.add(
          'TreeInvalidException',
          'DUPLICATE_ID',
          `id "${id}" is used more than once (${previous} and ${place}); ids must be unique across the whole tree`,
          isFlow ? { flowId: id } : { nodeId: id },
        )
        return
      }
      seen.set(id, place)
    }
    use(current.start_event.id, `${where}start_event`, false)
    use(current.end_event.id, `${where}end_event`, false)
    for (const key of recordKeys(current.activities)) use(key, `${where}activities.${key}`, false)
    for (const key of recordKeys(current.gateways ?? {})) use(key, `${where}gateways.${key}`, false)
    for (const key of recordKeys(current.flows)) use(key, `${where}flows.${key}`, true)
    for (const activity of recordValues(current.activities)) {
      if (activity.type === 'SubProcess') {
        visit(activity.pipeline, `${where}activities.${activity.id}.pipeline.`)
      }
    }
  }
  visit(tree, '')
}
