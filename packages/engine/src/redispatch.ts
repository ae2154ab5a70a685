import type { AfterCommit } from './component-calls.js'
import { type Core, dueIn } from './engine-core.js'
import { InvalidOperationError, NotFoundError } from './errors.js'
import type { ProcessRecord } from './ports/records.js'
import type { Runtime } from './ports/runtime.js'

/** What `redispatch` handed to the dispatcher again for one run, and what it left alone. */
export interface Redispatched {
  /** Processes sent on from their current node. */
  executed: Array<{ process_id: string; node_id: string }>
  /** Schedules (polls, callbacks, timeouts, automatic retries) run again. */
  scheduled: Array<{ process_id: string; node_id: string; schedule_id: string }>
  /** Forks whose branches had all reached their converge gateway: joined and sent on. */
  joined: Array<{ process_id: string; node_id: string }>
  /** Why each other live process of the run was left alone. */
  left: string[]
}

/**
 * Hands to the dispatcher again the work of a RUNNING pipeline that nothing will move on: what a
 * step that gave up (its storage was down), a lost timer or a lost wake-up left behind. It does
 * for one run what `Core.recover()` does for all at start-up, for the live processes that have no
 * step queued, due or running in this engine and no component call under way:
 * - an awake process runs again from its current node;
 * - a sleeping process's pending schedule runs again when due (a callback's at once);
 * - a process waiting at a fork whose branch processes all ended at its converge gateway is
 *   joined and sent on from there, as the last branch's arrival would have done.
 *
 * Paused processes, processes waiting for live branches, nodes waiting for a callback that has
 * not come and failed nodes are left to their own operations, and said so in `left`. Refused,
 * changing nothing, when the pipeline is not a RUNNING root or nothing of it can be dispatched.
 * The engine sees only the steps it dispatched itself: the database must be served by this
 * engine alone (as the server's lease ensures).
 */
export async function redispatch(core: Core, rootId: string): Promise<Redispatched> {
  return core.step(async (tx, after) => {
    const root = await tx.getState(rootId)
    if (!root || root.rootId !== rootId)
      throw new NotFoundError(`pipeline(${rootId}) does not exist`)
    if (root.name === 'SUSPENDED') {
      throw new InvalidOperationError(
        `pipeline(${rootId}) is paused (SUSPENDED): resume it to move it on`,
      )
    }
    if (root.name !== 'RUNNING') {
      throw new InvalidOperationError(
        `pipeline(${rootId}) state is: ${root.name}; only a RUNNING pipeline is dispatched again`,
      )
    }
    const done: Redispatched = { executed: [], scheduled: [], joined: [], left: [] }
    for (const process of await tx.findProcesses({ rootPipelineId: rootId })) {
      await redispatchProcess(core, tx, after, process, done)
    }
    if (done.executed.length + done.scheduled.length + done.joined.length === 0) {
      const why = done.left.length > 0 ? done.left.join('; ') : 'it has no live process'
      throw new InvalidOperationError(
        `nothing of pipeline(${rootId}) can be dispatched again: ${why}`,
      )
    }
    return done
  })
}

async function redispatchProcess(
  core: Core,
  tx: Runtime,
  after: AfterCommit,
  process: ProcessRecord,
  done: Redispatched,
): Promise<void> {
  const at = process.currentNodeId
  const name = `process ${process.id} at node(${at})`
  if (process.suspended) {
    done.left.push(`${name} is paused: resume what paused it`)
    return
  }
  if (core.dispatched.count(process.id) > 0 || core.calls.hasCallOf(process.id)) {
    done.left.push(`${name} has a step or a component call under way`)
    return
  }
  if (process.needAck > 0) {
    await join(core, tx, after, process, done)
    return
  }
  if (!process.asleep) {
    done.executed.push({ process_id: process.id, node_id: at })
    after.push(() => core.resend(process.id, at))
    return
  }
  const state = await tx.getState(at)
  const schedule = state ? await tx.findSchedule(at, state.version) : undefined
  // A node waiting for a callback is not stalled until a callback's data waits for it.
  const pending = schedule && !schedule.finished && !schedule.expired ? schedule : undefined
  if (pending && (pending.dueAt !== null || (await tx.nextCallback(pending.id)) !== undefined)) {
    // Nothing of this process runs, so a lock the schedule still holds was left by a step
    // that gave up.
    if (pending.scheduling) await tx.updateSchedule(pending.id, { scheduling: false })
    const delay = dueIn(pending, core.deps.clock.now())
    done.scheduled.push({ process_id: process.id, node_id: at, schedule_id: pending.id })
    after.push(() => core.deps.dispatcher.schedule(process.id, at, pending.id, delay))
    return
  }
  switch (state?.name) {
    case 'FAILED':
      done.left.push(`${name} waits for an operator at its FAILED node: retry or skip it`)
      return
    case 'RUNNING':
      done.left.push(
        pending
          ? `${name} waits for a callback`
          : `${name} sleeps while its node is RUNNING with nothing scheduled: force-fail it`,
      )
      return
    case 'FINISHED':
      done.left.push(
        `${name} sleeps on a FINISHED node: where it goes on is not recorded, revoke the pipeline`,
      )
      return
    default:
      done.left.push(`${name} sleeps on a node that is ${state?.name ?? 'not started'}`)
  }
}

/** A fork whose branch processes all ended: joined when every one reached its converge. */
async function join(
  core: Core,
  tx: Runtime,
  after: AfterCommit,
  process: ProcessRecord,
  done: Redispatched,
): Promise<void> {
  const name = `process ${process.id} at gateway(${process.currentNodeId})`
  const running = (await tx.findProcesses({ parentId: process.id })).length
  if (running > 0) {
    done.left.push(`${name} waits for ${running} branch(es) still running`)
    return
  }
  // Branches of earlier passes through a loop are dead at their converge too, so every branch
  // ever forked must have arrived, not only as many as are awaited.
  const ended = await tx.findProcesses({ parentId: process.id, dead: true })
  const lost = ended.find((p) => p.currentNodeId !== p.destinationId)
  const gateway = await core.node(tx, process.currentNodeId)
  const converge = gateway?.convergeGatewayId
  if (lost || !converge) {
    done.left.push(
      lost
        ? `${name} waits for a branch that ended at node(${lost.currentNodeId}) short of its converge gateway(${lost.destinationId}): revoke the pipeline`
        : `${name} waits for branches, but the gateway names no converge gateway: revoke the pipeline`,
    )
    return
  }
  await core.wakeJoined(tx, process.id, converge)
  done.joined.push({ process_id: process.id, node_id: converge })
  after.push(() => core.resend(process.id, converge))
}
