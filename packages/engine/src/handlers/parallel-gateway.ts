import { STOP, type StepContext, type StepOutcome } from '../step-context.js'

/** A parallel gateway forks a child process onto every outgoing flow. */
export function parallelGateway(ctx: StepContext): Promise<StepOutcome> {
  return forkTo(
    ctx,
    ctx.node.targets.map((t) => t.targetId),
  )
}

/**
 * Forks one child process per target, each ending at the gateway's converge; the process waits,
 * asleep at the gateway, for their acknowledgements.
 */
export async function forkTo(ctx: StepContext, targets: string[]): Promise<StepOutcome> {
  const { core, tx, after, process, node, state } = ctx
  await core.forkProcesses(tx, after, process, node.id, node.convergeGatewayId!, targets)
  await core.setState(tx, node.id, 'FINISHED', { version: state.version, current: state })
  return STOP
}
