import { bareKey, formatKey } from '@culm/expr'
import { hydrate } from '../context.js'
import type { ContextValue } from '../ports/records.js'
import { errorText, failNode, type StepContext, type StepOutcome } from '../step-context.js'

/**
 * The start event: freezes the constants its pipeline renders before anything runs (their
 * values as of now), then goes on to the first node.
 */
export async function startEvent(ctx: StepContext): Promise<StepOutcome> {
  const { core, tx, node, state } = ctx
  if (node.preRenderKeys?.length) {
    const context = await tx.getContext(node.pipelineId)
    const pipeline = await core.pipeline(tx, node.rootPipelineId)
    try {
      const hydrated = await hydrate(
        context,
        node.preRenderKeys,
        core.lazyFor(pipeline, state.innerLoop),
      )
      const frozen: Record<string, ContextValue> = {}
      for (const key of node.preRenderKeys) {
        const bare = bareKey(key)
        if (bare in hydrated) frozen[formatKey(bare)] = { type: 'plain', value: hydrated[bare] }
      }
      await tx.upsertContext(node.pipelineId, frozen)
    } catch (error) {
      core.rethrowInterruption(error)
      return failNode(ctx, `context hydrate failed(${errorText(error)})`)
    }
  }
  await core.setState(tx, node.id, 'FINISHED', { version: state.version, current: state })
  return { next: node.targets[0]!.targetId }
}
