import { evaluateCondition } from '@culm/expr'
import { hydrate, referencedKeys } from '../context.js'
import { errorText, type StepContext } from '../step-context.js'

/**
 * Evaluates a gateway's conditions against its pipeline's context; answers the flows whose
 * condition holds (only the first with the `first` strategy), or the failure text the Python
 * engine gives.
 */
export async function evaluateConditions(
  ctx: StepContext,
  strategy: 'first' | 'only' | undefined = ctx.node.strategy,
): Promise<{ hits: string[] } | { error: string }> {
  const { core, tx, node, state } = ctx
  const conditions = node.conditions ?? []
  const context = await tx.getContext(node.pipelineId)
  const pipeline = await core.pipeline(tx, node.rootPipelineId)
  let hydrated: Record<string, unknown>
  try {
    hydrated = await hydrate(
      context,
      referencedKeys(conditions.map((c) => c.evaluate)),
      core.lazyFor(pipeline, state.innerLoop),
    )
  } catch (error) {
    core.rethrowInterruption(error)
    return { error: `context hydrate failed(${errorText(error)})` }
  }
  const hits: string[] = []
  for (const condition of conditions) {
    try {
      if (evaluateCondition(condition.evaluate, hydrated)) {
        hits.push(condition.flowId)
        if (strategy === 'first') break
      }
    } catch (error) {
      core.rethrowInterruption(error)
      return {
        error: `evaluate[${condition.evaluate}] fail with data[${JSON.stringify(hydrated)}] message: ${errorText(error)}`,
      }
    }
  }
  return { hits }
}
