import { bareKey, formatKey } from '@culm/expr'
import { renderInputs } from '../context.js'
import type { ContextValue } from '../ports/records.js'
import {
  errorText,
  failNode,
  preExtract,
  type StepContext,
  type StepOutcome,
} from '../step-context.js'

/**
 * A subprocess node: renders its params into the subprocess's own context, resets the inner
 * loop of the nodes it ran before (a re-entry through a loop), and the process goes on at the
 * subprocess's start event with the subprocess pushed on its pipeline stack.
 */
export async function subProcess(ctx: StepContext): Promise<StepOutcome> {
  const { core, tx, process, node, state } = ctx
  const data = await tx.getData(node.id)
  const system = { _loop: state.loop, _inner_loop: state.innerLoop }
  const context = preExtract(await tx.getContext(node.pipelineId), data, system)
  const pipeline = await core.pipeline(tx, node.rootPipelineId)
  let params: Record<string, unknown>
  try {
    params = await renderInputs(
      data?.inputs ?? {},
      context,
      core.lazyFor(pipeline, state.innerLoop),
      system,
    )
  } catch (error) {
    core.rethrowInterruption(error)
    return failNode(ctx, `context hydrate failed(${errorText(error)})`)
  }
  await tx.setExecutionData(node.id, { inputs: params, outputs: {} })
  const values: Record<string, ContextValue> = {}
  for (const [key, value] of Object.entries(params))
    values[formatKey(bareKey(key))] = { type: 'plain', value }
  if (Object.keys(values).length > 0) await tx.upsertContext(node.id, values)
  for (const child of await tx.getStatesByParent(node.id)) {
    await tx.updateState(child.nodeId, child.version, { innerLoop: 0 })
  }
  await tx.updateProcess(process.id, { pipelineStack: [...process.pipelineStack, node.id] })
  return { next: node.startEventId! }
}
