import { bareKey, formatKey } from '@culm/expr'
import type { ContextValue } from '../ports/records.js'
import {
  errorText,
  failNode,
  renderNodeInputs,
  type StepContext,
  type StepOutcome,
} from '../step-context.js'

/**
 * A subprocess node: renders its params into the subprocess's own context, resets the inner
 * loop of the nodes it ran before (a re-entry through a loop), and the process goes on at the
 * subprocess's start event with the subprocess pushed on its pipeline stack.
 */
export async function subProcess(ctx: StepContext): Promise<StepOutcome> {
  const { core, tx, process, node } = ctx
  const data = await tx.getData(node.id)
  let params: Record<string, unknown>
  try {
    params = await renderNodeInputs(ctx, data)
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
