import type { AfterCommit } from '../component-calls.js'
import { isCall } from '../component-calls.js'
import type { Core } from '../engine-core.js'
import type { ExecutionDataRecord } from '../ports/records.js'
import type { Runtime } from '../ports/runtime.js'
import { answerOutputs, stillRunning } from '../step-context.js'
import { failActivity, finishActivity } from './service-activity.js'

/**
 * One run of a node's schedule: a node timeout (force-fails the node, and skips it for
 * `forced_fail_and_skip`), an automatic retry of a failed node, or a poll or callback, which
 * calls the component's `schedule` under the schedule's lock. Answers the node the process goes
 * on at, if it goes on.
 */
export async function scheduleStep(
  core: Core,
  tx: Runtime,
  after: AfterCommit,
  processId: string,
  nodeId: string,
  scheduleId: string,
): Promise<string | null> {
  const schedule = await tx.getSchedule(scheduleId)
  const drop = (reason: string) => {
    const call = core.calls.pendingCall(nodeId, 'schedule', scheduleId)
    if (call) core.calls.discard(call, reason)
  }
  if (!schedule || schedule.finished || schedule.expired) {
    drop(`the schedule of node(${nodeId}) ended while the call ran`)
    return null
  }
  const [state, node, process] = await Promise.all([
    tx.getState(nodeId),
    core.node(tx, nodeId),
    tx.getProcess(processId),
  ])
  if (!state || !node || !process) return null
  const root = await tx.getState(node.rootPipelineId)
  if (!root || root.name === 'REVOKED') {
    await tx.updateSchedule(schedule.id, { expired: true })
    drop('the pipeline was revoked while the call ran')
    return null
  }

  if (schedule.type === 'timeout') {
    await tx.updateSchedule(schedule.id, { finished: true })
    if (state.version !== schedule.version || state.name !== 'RUNNING') return null
    const failed = await core.forceFail(
      tx,
      node,
      state,
      `node timeout: ${node.timeout?.seconds ?? 0} seconds`,
      { after },
    )
    if (node.timeout?.action !== 'forced_fail_and_skip') return null
    await core.addHistory(tx, failed)
    await core.setState(tx, node.id, 'FINISHED', {
      version: failed.version,
      refreshVersion: true,
      patch: { skip: true },
    })
    const target = node.targets[0]!.targetId
    await tx.updateProcess(process.id, { asleep: false, currentNodeId: target })
    return target
  }

  if (schedule.type === 'auto_retry') {
    await tx.updateSchedule(schedule.id, { finished: true })
    if (state.version !== schedule.version || state.name !== 'FAILED') return null
    if (process.currentNodeId !== nodeId || !process.asleep) return null
    await core.addHistory(tx, state)
    await core.setState(tx, nodeId, 'READY', {
      version: state.version,
      refreshVersion: true,
      patch: { retry: state.retry + 1, startedTime: null, archivedTime: null },
    })
    await tx.updateProcess(process.id, { asleep: false })
    return nodeId
  }

  if (state.version !== schedule.version || state.name !== 'RUNNING') {
    await tx.updateSchedule(schedule.id, { expired: true })
    const call = core.calls.pendingCall(nodeId, 'schedule', scheduleId)
    if (call)
      core.calls.discard(call, `node(${nodeId}) is ${state.name} at version ${state.version}`)
    return null
  }
  let callbackData: unknown
  let callbackId = ''
  let times: number
  const pending = core.calls.pendingCall(nodeId, 'schedule', scheduleId)
  if (pending) {
    // The step that took the schedule's lock committed while the call ran.
    if (!pending.answer) return null
    callbackData = pending.callbackData
    callbackId = pending.callbackId ?? ''
    times = pending.scheduleTimes
  } else {
    if (!(await tx.lockSchedule(schedule.id))) {
      if (schedule.type === 'multi_callback') {
        after.push(() => core.deps.dispatcher.schedule(processId, nodeId, scheduleId, 1000))
      }
      return null
    }
    // Read again under the lock: another step may have counted a call since the first read.
    const locked = await tx.getSchedule(scheduleId)
    if (!locked || locked.finished || locked.expired) {
      await tx.updateSchedule(schedule.id, { scheduling: false })
      return null
    }
    times = locked.times
    if (schedule.type !== 'poll') {
      // Left unconsumed until the call's result is written: a call whose worker stops leaves
      // its callback for the step that runs the schedule again.
      const callback = await tx.nextCallback(schedule.id)
      if (!callback) {
        await tx.updateSchedule(schedule.id, { scheduling: false })
        return null
      }
      callbackData = callback.data
      callbackId = callback.id
    }
  }

  const pipeline = await core.pipeline(tx, node.rootPipelineId)
  const execution: ExecutionDataRecord = (await tx.getExecutionData(nodeId)) ?? {
    inputs: {},
    outputs: {},
  }
  const result = await core.calls.callComponent(
    after,
    node.component!,
    'schedule',
    {
      inputs: execution.inputs,
      outputs: execution.outputs,
      parentData: pipeline?.rootPipelineData ?? {},
      callbackData,
      scheduleTimes: times,
      nodeId,
      version: state.version,
      rootPipelineId: node.rootPipelineId,
      loop: state.loop,
      innerLoop: state.innerLoop,
    },
    { processId, scheduleId, callbackId },
  )
  if (isCall(result)) {
    core.calls.continueWhenAnswered(after, result)
    return null
  }
  const outputs = answerOutputs(result, state)
  if (!(await stillRunning(core, tx, nodeId, state, 'schedule'))) {
    await tx.updateSchedule(schedule.id, { expired: true, scheduling: false })
    return null
  }
  if (callbackId && !(await tx.consumeCallback(callbackId))) {
    // Applied by another step already: a callback's data is applied once.
    if (pending) core.calls.discard(pending, `callback(${callbackId}) was applied already`)
    await tx.updateSchedule(schedule.id, { scheduling: false })
    return null
  }
  await tx.setExecutionData(nodeId, { inputs: execution.inputs, outputs })
  await tx.updateSchedule(schedule.id, { times: times + 1, scheduling: false })

  if (result.success) {
    const done = schedule.type === 'callback' || result.finished
    if (!done) {
      if (schedule.type === 'poll') {
        const delay = Math.max(0, (result.pollAfterSeconds ?? 0) * 1000)
        await tx.updateSchedule(schedule.id, { dueAt: core.deps.clock.now() + delay })
        after.push(() => core.deps.dispatcher.schedule(processId, nodeId, scheduleId, delay))
      } else {
        // Callbacks that came while this one was handled wait for the lock: take the next.
        after.push(() => core.deps.dispatcher.schedule(processId, nodeId, scheduleId, 0))
      }
      return null
    }
    await tx.updateSchedule(schedule.id, { finished: true })
    return goOn(tx, process.id, await finishActivity(core, tx, node, state, outputs, false))
  }
  if (node.errorIgnorable) {
    await tx.updateSchedule(schedule.id, { finished: true })
    return goOn(tx, process.id, await finishActivity(core, tx, node, state, outputs, true))
  }
  await failActivity(core, tx, after, process.id, node, state, outputs)
  return null
}

/** Wakes the process at the node a finished schedule leads to, if any. */
async function goOn(
  tx: Runtime,
  processId: string,
  outcome: Awaited<ReturnType<typeof finishActivity>>,
): Promise<string | null> {
  const next = 'next' in outcome ? outcome.next : null
  if (next) await tx.updateProcess(processId, { asleep: false, currentNodeId: next })
  return next
}
