import type { AfterCommit } from '../component-calls.js'
import { isCall } from '../component-calls.js'
import type { Core } from '../engine-core.js'
import type { NodeRecord, StateRecord } from '../ports/records.js'
import type { Runtime } from '../ports/runtime.js'
import {
  answerOutputs,
  createSchedule,
  errorText,
  executeInput,
  failNode,
  mustCommitBeforeCall,
  renderNodeInputs,
  STOP,
  type StepContext,
  type StepOutcome,
  stillRunning,
  systemValues,
} from '../step-context.js'

/**
 * A service activity: renders its inputs, calls its component's `execute` and, by the
 * component's schedule mode, finishes, waits for polls or callbacks, or fails (ignored when the
 * node is error-ignorable; retried later with automatic retries).
 */
export async function serviceActivity(ctx: StepContext): Promise<StepOutcome> {
  const { core, tx, after, process, node, state, resumed } = ctx
  const ref = node.component!
  const system = systemValues(state)
  const data = await tx.getData(node.id)
  const pipeline = await core.pipeline(tx, node.rootPipelineId)
  let inputs: Record<string, unknown>
  try {
    inputs = await renderNodeInputs(ctx, data)
  } catch (error) {
    core.rethrowInterruption(error)
    const raw = Object.fromEntries(Object.entries(data?.inputs ?? {}).map(([k, v]) => [k, v.value]))
    await tx.setExecutionData(node.id, {
      inputs: raw,
      outputs: {
        ex_data: `inputs hydrate failed(${errorText(error)})`,
        _result: false,
        ...system,
      },
    })
    await tx.updateProcess(process.id, { asleep: true })
    await core.setState(tx, node.id, 'FAILED', { version: state.version, current: state })
    return STOP
  }
  Object.assign(inputs, system)
  const info = core.deps.components.info(ref)
  if (!info) {
    return failNode(ctx, `component(${ref.code}) version(${ref.version}) does not exist`, inputs)
  }
  if (node.timeout && !resumed) {
    const delay = node.timeout.seconds * 1000
    const schedule = await createSchedule(
      core,
      tx,
      'timeout',
      process.id,
      node.id,
      state.version,
      delay,
    )
    after.push(() => core.deps.dispatcher.schedule(process.id, node.id, schedule.id, delay))
  }

  if (mustCommitBeforeCall(ctx)) {
    await tx.setExecutionData(node.id, { inputs, outputs: {} })
    return { yield: node.id }
  }
  const result = await core.calls.callComponent(
    after,
    ref,
    'execute',
    executeInput(node, state, inputs, pipeline?.rootPipelineData ?? {}),
    { processId: process.id },
  )
  if (isCall(result)) {
    // Slow: commit the node RUNNING with its inputs (visible and controllable) and take the
    // answer in a new step.
    if (!resumed) await tx.setExecutionData(node.id, { inputs, outputs: {} })
    core.calls.continueWhenAnswered(after, result)
    return STOP
  }
  const outputs = answerOutputs(result, state)
  if (!(await stillRunning(core, tx, node.id, state, 'execute'))) return STOP
  await tx.setExecutionData(node.id, { inputs, outputs })

  if (result.success) {
    if (info.scheduleMode === 'none') return finishActivity(core, tx, node, state, outputs, false)
    const type = info.scheduleMode
    const schedule = await createSchedule(
      core,
      tx,
      type,
      process.id,
      node.id,
      state.version,
      type === 'poll' ? 0 : null,
    )
    await tx.updateProcess(process.id, { asleep: true })
    return type === 'poll' ? { poll: schedule.id } : STOP
  }
  if (node.errorIgnorable) return finishActivity(core, tx, node, state, outputs, true)
  return failActivity(core, tx, after, process.id, node, state, outputs)
}

/**
 * Finishes an activity (error ignored, or not): its outputs go to the context, or, for a node
 * loop, to the loop's accumulated outputs; answers where the process goes on.
 */
export async function finishActivity(
  core: Core,
  tx: Runtime,
  node: NodeRecord,
  state: StateRecord,
  outputs: Record<string, unknown>,
  errorIgnored: boolean,
): Promise<StepOutcome> {
  await core.setState(tx, node.id, 'FINISHED', {
    version: state.version,
    patch: errorIgnored ? { errorIgnored: true } : {},
  })
  if (!node.loopConfig) {
    await core.extractOutputs(tx, node, outputs)
    return { next: node.targets[0]!.targetId }
  }
  await core.appendLoopOutputs(tx, node, state, outputs)
  return { next: core.loopNext(node, state) }
}

/**
 * Fails an activity whose component failed: its process sleeps at it, its outputs go to the
 * context, and an automatic retry is scheduled while retries remain. A node loop that skips
 * failures finishes the iteration instead and goes on.
 */
export async function failActivity(
  core: Core,
  tx: Runtime,
  after: AfterCommit,
  processId: string,
  node: NodeRecord,
  state: StateRecord,
  outputs: Record<string, unknown>,
): Promise<StepOutcome> {
  if (node.loopConfig?.failSkip) {
    const outcome = await finishActivity(core, tx, node, state, outputs, true)
    if ('next' in outcome) {
      await tx.updateProcess(processId, { currentNodeId: outcome.next })
      after.push(() => core.deps.dispatcher.execute(processId, outcome.next))
    }
    return STOP
  }
  await tx.updateProcess(processId, { asleep: true })
  await core.setState(tx, node.id, 'FAILED', { version: state.version, current: state })
  await core.extractOutputs(tx, node, outputs)
  if (node.autoRetry && state.retry < node.autoRetry.times) {
    const delay = node.autoRetry.intervalSeconds * 1000
    const schedule = await createSchedule(
      core,
      tx,
      'auto_retry',
      processId,
      node.id,
      state.version,
      delay,
    )
    after.push(() => core.deps.dispatcher.schedule(processId, node.id, schedule.id, delay))
  }
  return STOP
}
