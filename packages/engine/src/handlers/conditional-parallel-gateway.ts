import { failNode, type StepContext, type StepOutcome } from '../step-context.js'
import { evaluateConditions } from './conditions.js'
import { forkTo } from './parallel-gateway.js'

/**
 * A conditional parallel gateway forks onto every flow whose condition holds, else onto its
 * default flow; none and no default fails it.
 */
export async function conditionalParallelGateway(ctx: StepContext): Promise<StepOutcome> {
  const { node } = ctx
  const evaluated = await evaluateConditions(ctx, 'only')
  if ('error' in evaluated) return failNode(ctx, evaluated.error)
  let flows = evaluated.hits
  if (flows.length === 0) {
    if (!node.defaultFlowId) return failNode(ctx, 'all conditions of branches are not meet')
    flows = [node.defaultFlowId]
  }
  const targets = node.targets.filter((t) => flows.includes(t.flowId)).map((t) => t.targetId)
  return forkTo(ctx, targets)
}
