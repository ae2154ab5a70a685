import { failNode, type StepContext, type StepOutcome } from '../step-context.js'
import { evaluateConditions } from './conditions.js'

/**
 * An exclusive gateway takes the one flow whose condition holds, else its default flow; more
 * than one, or none and no default, fails it.
 */
export async function exclusiveGateway(ctx: StepContext): Promise<StepOutcome> {
  const { core, tx, node, state } = ctx
  const evaluated = await evaluateConditions(ctx)
  if ('error' in evaluated) return failNode(ctx, evaluated.error)
  let flowId: string | undefined
  if (evaluated.hits.length === 1) flowId = evaluated.hits[0]
  else if (evaluated.hits.length > 1) {
    return failNode(ctx, `multiple conditions meet: ${JSON.stringify(evaluated.hits)}`)
  } else if (node.defaultFlowId) flowId = node.defaultFlowId
  else return failNode(ctx, 'all conditions of branches are not meet')
  const target = node.targets.find((t) => t.flowId === flowId)!
  await core.setState(tx, node.id, 'FINISHED', { version: state.version, current: state })
  return { next: target.targetId }
}
