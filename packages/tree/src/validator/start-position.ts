import type { Problem } from '../errors.js'
import { TreeInvalidError } from '../errors.js'
import { runValidation, type ValidateOptions } from './validate.js'

const STARTABLE_TYPES = new Set([
  'ServiceActivity',
  'ExclusiveGateway',
  'ParallelGateway',
  'ConditionalParallelGateway',
])

/**
 * The nodes a pipeline may be started from (`run_pipeline(start_node_id=…)`): the start event and
 * the activities and diverging gateways of the main line, that is, not inside a parallel block and
 * not inside a subprocess. Throws `TreeInvalidError` for an invalid tree.
 */
export function allowedStartNodeIds(tree: unknown, options: ValidateOptions = {}): string[] {
  const { result, root } = runValidation(tree, options)
  if (!result.valid || !root.graph || !root.streams) throw new TreeInvalidError(result.problems)
  const allowed = [root.graph.startId]
  for (const node of root.graph.list) {
    const streams = root.streams[node.index]!
    if (STARTABLE_TYPES.has(node.type) && streams.size === 1 && streams.has('main'))
      allowed.push(node.id)
  }
  return allowed
}

/** The problems of starting a pipeline at `nodeId`; empty when it may start there. */
export function checkStartNode(
  tree: unknown,
  nodeId: string,
  options: ValidateOptions = {},
): Problem[] {
  const { result } = runValidation(tree, options)
  if (!result.valid) return result.problems
  const allowed = allowedStartNodeIds(result.tree, options)
  if (allowed.includes(nodeId)) return []
  return [
    {
      kind: 'StartPositionInvalidException',
      code: 'START_POSITION_INVALID',
      message: `node "${nodeId}" is not allowed as a starting node`,
      nodeId,
    },
  ]
}
