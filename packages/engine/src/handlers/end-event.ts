import { bareKey, formatKey } from '@culm/expr'
import { type ComponentCall, isCall } from '../component-calls.js'
import { hydrate } from '../context.js'
import {
  errorText,
  executeInput,
  failNode,
  mustCommitBeforeCall,
  STOP,
  type StepContext,
  type StepOutcome,
  stillRunning,
  systemValues,
} from '../step-context.js'

/**
 * An end event: ends its pipeline with the pipeline's outputs. The root pipeline finishes and its
 * process ends; a subprocess finishes, its outputs go to its parent's context, and the process
 * goes on after the subprocess node. An executable end event (any other type) first runs the
 * component registered under its type.
 */
export async function endEvent(ctx: StepContext): Promise<StepOutcome> {
  const { core, tx, after, process, node, state } = ctx
  const pipelineId = node.pipelineId
  if (node.type !== 'EmptyEndEvent') {
    if (
      mustCommitBeforeCall(ctx) &&
      core.deps.components.info({ code: node.type, version: 'legacy' })
    )
      return { yield: node.id }
    const failure = await runEndEventCode(ctx)
    if (failure !== null && typeof failure !== 'string') {
      core.calls.continueWhenAnswered(after, failure)
      return STOP
    }
    if (failure !== null) return failNode(ctx, failure)
    if (!(await stillRunning(core, tx, node.id, state, 'execute'))) return STOP
  }
  let outputs: Record<string, unknown>
  try {
    outputs = await pipelineOutputs(ctx, pipelineId)
  } catch (error) {
    core.rethrowInterruption(error)
    return failNode(ctx, `context hydrate failed(${errorText(error)})`)
  }
  await core.setState(tx, node.id, 'FINISHED', { version: state.version, current: state })
  const pipelineState = await tx.getState(pipelineId)
  if (pipelineId === process.rootPipelineId) {
    await tx.setExecutionData(pipelineId, { inputs: {}, outputs })
    if (pipelineState)
      await core.setState(tx, pipelineId, 'FINISHED', { version: pipelineState.version })
    await tx.updateProcess(process.id, { dead: true })
    return STOP
  }
  const subprocess = await core.node(tx, pipelineId)
  if (!subprocess || !pipelineState) return STOP
  const previous = await tx.getExecutionData(pipelineId)
  const subOutputs = { ...outputs, ...systemValues(pipelineState) }
  await tx.setExecutionData(pipelineId, { inputs: previous?.inputs ?? {}, outputs: subOutputs })
  await core.extractOutputs(tx, subprocess, outputs)
  await core.setState(tx, pipelineId, 'FINISHED', { version: pipelineState.version })
  await tx.updateProcess(process.id, { pipelineStack: process.pipelineStack.slice(0, -1) })
  return { next: subprocess.targets[0]!.targetId }
}

/** The pipeline's declared outputs, rendered from its context. */
async function pipelineOutputs(ctx: StepContext, pipelineId: string) {
  const { core, tx, node, state } = ctx
  const keys = node.pipelineOutputs ?? []
  const outputs: Record<string, unknown> = {}
  if (keys.length === 0) return outputs
  const context = await tx.getContext(pipelineId)
  const pipeline = await core.pipeline(tx, node.rootPipelineId)
  const hydrated = await hydrate(context, keys, core.lazyFor(pipeline, state.innerLoop))
  for (const key of keys) {
    const bare = bareKey(key)
    outputs[formatKey(bare)] = bare in hydrated ? hydrated[bare] : key
  }
  return outputs
}

/**
 * Runs the component registered under an executable end event's type; answers the failure
 * reason, null, or the call when it runs past `FAST_CALL_MS`.
 */
async function runEndEventCode(ctx: StepContext): Promise<string | null | ComponentCall> {
  const { core, after, process, node, state } = ctx
  const ref = { code: node.type, version: 'legacy' }
  if (!core.deps.components.info(ref)) return null
  const result = await core.calls.callComponent(
    after,
    ref,
    'execute',
    executeInput(
      node,
      state,
      { pipeline_stack: process.pipelineStack, root_pipeline_id: process.rootPipelineId },
      {},
    ),
    { processId: process.id },
  )
  if (isCall(result)) return result
  if (result.success) return null
  return String(result.outputs.ex_data ?? result.error ?? `end event ${node.type} failed`)
}
