import type { StepContext, StepOutcome } from '../step-context.js'

/**
 * A converge gateway reached by a process: the branches that forked there have all ended (the
 * last one to end woke the forking process here), so it finishes and the process goes on.
 */
export async function convergeGateway(ctx: StepContext): Promise<StepOutcome> {
  const { core, tx, node, state } = ctx
  await core.setState(tx, node.id, 'FINISHED', { version: state.version, current: state })
  return { next: node.targets[0]!.targetId }
}
