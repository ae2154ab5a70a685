import { formatKey } from '@culm/expr'
import { type AfterCommit, ComponentCalls } from './component-calls.js'
import type { LazyCompute } from './context.js'
import { DispatchedWork } from './dispatched-work.js'
import { RuntimeInterruptedError, StateTransitionError, VersionMismatchError } from './errors.js'
import { handlerOf, isExecutableEnd, scheduleStep } from './handlers/index.js'
import type { Clock, IdGenerator } from './ports/clock.js'
import type { ComponentRunner } from './ports/components.js'
import type { Dispatcher, StepHandler } from './ports/dispatcher.js'
import type { EngineHooks } from './ports/hooks.js'
import type {
  ContextValue,
  NodeRecord,
  PipelineRecord,
  ProcessRecord,
  ScheduleRecord,
  StateRecord,
} from './ports/records.js'
import type { Runtime, StatePatch } from './ports/runtime.js'
import { ARCHIVED_STATES, canTransit, type StateName } from './states.js'
import { errorText, STOP, type StepOutcome } from './step-context.js'
import { Steps } from './steps.js'

/** The engine's collaborators. */
export interface CoreDeps {
  runtime: Runtime
  dispatcher: Dispatcher
  components: ComponentRunner
  clock: Clock
  ids: IdGenerator
  hooks: EngineHooks
  rerunLimit: number
}

/** How a state write should go; see `Core.setState`. */
export interface SetStateOptions {
  /** Refuse unless the node's version is this one. */
  version?: string
  rootId?: string
  parentId?: string
  refreshVersion?: boolean
  setStarted?: boolean
  patch?: StatePatch
  /** Do not tell the `stateChanged` hook (`send_post_set_state_signal=False`). */
  silent?: boolean
  /**
   * The state as the caller last read it, saving a read; the write still compares the version
   * (and name) stored, so a stale copy only makes it refuse.
   */
  current?: StateRecord | null
}

/** How long until a pending schedule's call is due: at once for one waiting for callbacks. */
export function dueIn(schedule: ScheduleRecord, now: number): number {
  return schedule.dueAt === null ? 0 : Math.max(0, schedule.dueAt - now)
}

/** How often `recover()` picks a process up at one node before failing that node. */
export const MAX_RECOVERIES = 3

/** A transaction holds at most this many consecutive steps of one process... */
export const GROUP_MAX_STEPS = 200
/** ...and is committed after this many milliseconds at the latest. */
export const GROUP_MAX_MS = 50

/**
 * The engine's step functions and the state helpers the API shares: `execute` pushes a process
 * node by node, `schedule` runs one poll, callback, timeout or automatic retry.
 */
export class Core implements StepHandler {
  /** The collaborators; `dispatcher` is the given one wrapped in `dispatched`. */
  readonly deps: CoreDeps
  #pipelines = new Map<string, PipelineRecord>()

  /** The component calls this engine makes. */
  readonly calls: ComponentCalls
  /** The steps handed to the dispatcher that have not finished, by process. */
  readonly dispatched: DispatchedWork
  readonly #steps: Steps

  constructor(deps: CoreDeps) {
    this.dispatched = new DispatchedWork(deps.dispatcher)
    this.deps = { ...deps, dispatcher: this.dispatched }
    this.calls = new ComponentCalls(this.deps)
    this.#steps = new Steps(deps.runtime, this.calls, deps.clock)
  }

  get runtime(): Runtime {
    return this.deps.runtime
  }

  newVersion(): string {
    return this.deps.ids.next('v')
  }

  /** Runs one step in a transaction of its own; see `Steps`. */
  step<T>(fn: (tx: Runtime, after: AfterCommit) => Promise<T>): Promise<T> {
    return this.#steps.run(fn)
  }

  isInterruption(error: unknown): boolean {
    return this.#steps.isInterruption(error)
  }

  /** A storage interruption is never a node's failure: it aborts the step, which runs again. */
  rethrowInterruption(error: unknown): void {
    if (this.isInterruption(error)) throw error
  }

  /** Processes that `recover()` picked up more than once at one node: run one node a step. */
  #oneByOne = new Set<string>()

  /** Node definitions never change once written, so they are read once per engine. */
  #nodes = new Map<string, NodeRecord>()

  async node(tx: Runtime, id: string): Promise<NodeRecord | undefined> {
    let node = this.#nodes.get(id)
    if (!node) {
      node = await tx.getNode(id)
      if (node) {
        if (this.#nodes.size >= 200_000) this.#nodes.clear()
        this.#nodes.set(id, node)
      }
    }
    return node
  }

  async pipeline(tx: Runtime, id: string): Promise<PipelineRecord | undefined> {
    let pipeline = this.#pipelines.get(id)
    if (!pipeline) {
      pipeline = await tx.getPipeline(id)
      if (pipeline) this.#pipelines.set(id, pipeline)
    }
    return pipeline
  }

  lazyFor(pipeline: PipelineRecord | undefined, innerLoop: number): LazyCompute | undefined {
    const { components } = this.deps
    if (!components.lazy) return undefined
    return (code, value) =>
      components.lazy!(code, value, { pipelineData: pipeline?.rootPipelineData ?? {}, innerLoop })
  }

  /**
   * Moves a node (or pipeline) to a state as the Python runtime's `set_state` does: a node with no
   * state gets one directly; otherwise the transition table and the expected version are checked
   * and the write is a compare-and-set on the version.
   */
  async setState(
    tx: Runtime,
    nodeId: string,
    to: StateName,
    options: SetStateOptions = {},
  ): Promise<StateRecord> {
    const now = this.deps.clock.now()
    const current = options.current !== undefined ? options.current : await tx.getState(nodeId)
    if (!current) {
      const state: StateRecord = {
        nodeId,
        rootId: options.rootId ?? '',
        parentId: options.parentId ?? '',
        name: to,
        version: this.newVersion(),
        loop: 1,
        innerLoop: 1,
        retry: 0,
        skip: false,
        errorIgnored: false,
        createdTime: now,
        startedTime: to === 'RUNNING' || options.setStarted ? now : null,
        archivedTime: ARCHIVED_STATES.has(to) ? now : null,
        ...options.patch,
      }
      if (!(await tx.createState(state))) {
        return this.setState(tx, nodeId, to, { ...options, current: undefined })
      }
      this.deps.hooks.stateChanged?.({
        nodeId,
        rootId: state.rootId,
        from: null,
        to,
        version: state.version,
      })
      return state
    }
    if (options.version !== undefined && options.version !== current.version) {
      throw new VersionMismatchError(nodeId, options.version, current.version)
    }
    if (!canTransit(current.name, to)) throw new StateTransitionError(nodeId, current.name, to)
    const patch: StatePatch = { name: to, ...options.patch }
    if (options.refreshVersion) patch.version = this.newVersion()
    if (options.rootId !== undefined) patch.rootId = options.rootId
    if (options.parentId !== undefined) patch.parentId = options.parentId
    if (to === 'RUNNING' && options.setStarted) {
      patch.startedTime = now
      patch.archivedTime = null
    }
    if (ARCHIVED_STATES.has(to)) patch.archivedTime = now
    if (!(await tx.updateState(nodeId, current.version, patch, current.name))) {
      const actual = await tx.getState(nodeId)
      throw new VersionMismatchError(nodeId, current.version, actual?.version ?? '')
    }
    const updated = { ...current, ...patch }
    if (!options.silent)
      this.deps.hooks.stateChanged?.({
        nodeId,
        rootId: updated.rootId,
        from: current.name,
        to,
        version: updated.version,
      })
    return updated
  }

  /** Archives a node's last run (state and execution data) into its histories. */
  async addHistory(tx: Runtime, state: StateRecord): Promise<void> {
    const data = await tx.getExecutionData(state.nodeId)
    await tx.addHistory({
      nodeId: state.nodeId,
      loop: state.loop,
      retry: state.retry,
      skip: state.skip,
      version: state.version,
      startedTime: state.startedTime,
      archivedTime: state.archivedTime,
      inputs: data?.inputs ?? {},
      outputs: data?.outputs ?? {},
    })
  }

  /** Copies a node's outputs into its pipeline's context through its output map. */
  async extractOutputs(
    tx: Runtime,
    node: NodeRecord,
    outputs: Record<string, unknown>,
  ): Promise<void> {
    const data = await tx.getData(node.id)
    if (!data) return
    const values: Record<string, ContextValue> = {}
    for (const [outputKey, contextKeys] of Object.entries(data.outputs)) {
      if (!(outputKey in outputs)) continue
      for (const contextKey of contextKeys)
        values[contextKey] = { type: 'plain', value: outputs[outputKey] }
    }
    if (Object.keys(values).length > 0) await tx.upsertContext(node.pipelineId, values)
  }

  /**
   * Picks up what a worker that stopped left behind: processes that were between steps (awake,
   * not suspended, not waiting for forked children) run again from their current node, and every
   * pending schedule is dispatched when due (at once for callbacks that may be waiting). Schedule
   * locks held by the stopped worker are released. Meant for the start of the only worker of a
   * database; answers what it dispatched.
   */
  async recover(): Promise<{ processes: number; schedules: number; quarantined: number }> {
    const now = this.deps.clock.now()
    const processes = (
      await this.runtime.findProcesses({ asleep: false, suspended: false })
    ).filter((p) => p.needAck === 0)
    const schedules = await this.runtime.findPendingSchedules()
    // A process picked up at the same node again and again: its step stops the worker (a crash,
    // an out-of-memory). It is run one node a transaction, so that the node that stops it is
    // where it stands, and that node fails after `MAX_RECOVERIES` pick-ups.
    const pickups = processes.map((process) => ({
      process,
      recoveries: process.recoveredAt === process.currentNodeId ? (process.recoveries ?? 0) + 1 : 1,
    }))
    const resumed = pickups.filter((pickup) => pickup.recoveries <= MAX_RECOVERIES)
    await this.step(async (tx) => {
      for (const schedule of schedules) {
        if (schedule.scheduling) await tx.updateSchedule(schedule.id, { scheduling: false })
      }
      for (const { process, recoveries } of resumed) {
        await tx.updateProcess(process.id, { recoveredAt: process.currentNodeId, recoveries })
      }
    })
    for (const { process, recoveries } of pickups) {
      if (recoveries > MAX_RECOVERIES) {
        await this.#failStep(
          process.id,
          process.currentNodeId,
          `the worker stopped ${MAX_RECOVERIES} times while running this node; it is not run again`,
        )
        continue
      }
      if (recoveries > 1) this.#oneByOne.add(process.id)
      await this.deps.dispatcher.execute(process.id, process.currentNodeId)
    }
    for (const schedule of schedules) {
      const delay = dueIn(schedule, now)
      await this.deps.dispatcher.schedule(schedule.processId, schedule.nodeId, schedule.id, delay)
    }
    const quarantined = pickups.length - resumed.length
    return { processes: resumed.length, schedules: schedules.length, quarantined }
  }

  // ---- execute ----------------------------------------------------------------------------

  /**
   * Pushes a process from `nodeId` on. Steps that follow one another without waiting share one
   * transaction, committed at every wait point (a sleep, a fork, a join, a later poll) and at least
   * every `GROUP_MAX_STEPS` steps or `GROUP_MAX_MS` milliseconds.
   */
  async execute(processId: string, nodeId: string): Promise<void> {
    try {
      if (this.#resent.get(processId) === nodeId) {
        this.#resent.delete(processId)
        if (!(await this.#stillStalled(processId, nodeId))) return
      }
      await this.#execute(processId, nodeId)
    } finally {
      this.dispatched.finished(processId)
    }
  }

  /** Processes `redispatch` sent on again, and the node it sent each from. */
  readonly #resent = new Map<string, string>()

  /** Sends on a process that nothing else moves on, from its current node (see `redispatch`). */
  resend(processId: string, nodeId: string): void | Promise<void> {
    this.#resent.set(processId, nodeId)
    return this.deps.dispatcher.execute(processId, nodeId)
  }

  /**
   * Whether a process sent on again still waits to be: had anything else sent it on since (its
   * step counts beside this one, or it moved), running it from the node again would run a node
   * twice.
   */
  async #stillStalled(processId: string, nodeId: string): Promise<boolean> {
    if (this.dispatched.count(processId) > 1) return false
    const process = await this.runtime.getProcess(processId)
    return !!process && !process.dead && !process.asleep && process.currentNodeId === nodeId
  }

  async #execute(processId: string, nodeId: string): Promise<void> {
    let current: string | null = nodeId
    while (current !== null) {
      const from: string = current
      try {
        const maxSteps = this.#oneByOne.has(processId) ? 1 : GROUP_MAX_STEPS
        current = await this.step((tx, after) =>
          this.#executeGroup(tx, after, processId, from, maxSteps),
        )
      } catch (error) {
        if (this.isInterruption(error)) throw error
        current = await this.#isolateFailure(processId, from, error)
      }
    }
  }

  /**
   * A group failed for a reason that is not a storage interruption (a value that cannot be
   * stored, a bug): runs it again one node a transaction, so that the nodes before the one that
   * fails are kept, and fails that node, naming the reason, instead of leaving the pipeline
   * RUNNING with nothing to run.
   */
  async #isolateFailure(processId: string, from: string, error: unknown): Promise<string | null> {
    // A runtime that does not roll back (in memory) kept the group's work up to the failed node:
    // its process stands there, and the node is RUNNING.
    const process = await this.runtime.getProcess(processId)
    if (process && !process.dead && process.currentNodeId !== from) {
      await this.#failStep(processId, process.currentNodeId, error)
      return null
    }
    const [state, node] = await Promise.all([
      this.runtime.getState(from),
      this.runtime.getNode(from),
    ])
    const resumable = node?.type === 'ServiceActivity' || (node && isExecutableEnd(node.type))
    if (state?.name === 'RUNNING' && !resumable) {
      await this.#failStep(processId, from, error)
      return null
    }
    let at = from
    for (;;) {
      try {
        const next = await this.step((tx, after) => this.#executeGroup(tx, after, processId, at, 1))
        if (next === null) return null
        at = next
      } catch (again) {
        if (this.isInterruption(again)) throw again
        await this.#failStep(processId, at, again)
        return null
      }
    }
  }

  /** Fails the node a step could not run, with `ex_data` naming the reason; its process sleeps. */
  async #failStep(processId: string, nodeId: string, error: unknown, scheduleId?: string) {
    this.deps.hooks.stepFailed?.({ processId, nodeId, error })
    this.calls.forgetAnswered(nodeId)
    const exData = `engine step failed: ${errorText(error)}`
    await this.step(async (tx) => {
      const node = await this.node(tx, nodeId)
      if (!node) return
      let state = (await tx.getState(nodeId)) ?? null
      if (state?.name === 'READY' || state?.name === 'LOOP_READY' || state?.name === 'FINISHED') {
        state = await this.setState(tx, nodeId, 'RUNNING', { current: state, setStarted: true })
      }
      if (state && !canTransit(state.name, 'FAILED')) return
      const execution = await tx.getExecutionData(nodeId)
      await tx.setExecutionData(nodeId, {
        inputs: execution?.inputs ?? {},
        outputs: { ex_data: exData },
      })
      await this.setState(tx, nodeId, 'FAILED', {
        current: state,
        rootId: node.rootPipelineId,
        parentId: node.pipelineId,
      })
      await tx.updateProcess(processId, { asleep: true, currentNodeId: nodeId })
      if (scheduleId) await tx.updateSchedule(scheduleId, { expired: true, scheduling: false })
    })
  }

  async #executeGroup(
    tx: Runtime,
    after: AfterCommit,
    processId: string,
    nodeId: string,
    maxSteps: number,
  ): Promise<string | null> {
    const started = this.deps.clock.now()
    let current = nodeId
    for (let steps = 1; ; steps++) {
      const outcome = await this.#executeStep(tx, after, processId, current, steps === 1)
      if ('stop' in outcome) return null
      if ('yield' in outcome) {
        await tx.updateProcess(processId, { currentNodeId: outcome.yield, asleep: false })
        return outcome.yield
      }
      if ('poll' in outcome && tx.holdsTransaction?.()) {
        // Its component must not run while this transaction holds the database.
        const poll = outcome.poll
        after.push(() => this.deps.dispatcher.schedule(processId, current, poll, 0))
        return null
      }
      if ('poll' in outcome) {
        // The first poll is due at once: run it here rather than through the dispatcher's queue.
        const next = await scheduleStep(this, tx, after, processId, current, outcome.poll)
        if (!next) return null
        current = next
      } else current = outcome.next
      if (steps >= maxSteps || this.deps.clock.now() - started >= GROUP_MAX_MS) {
        // The commit must say where the process goes on, or a worker that dies before the next
        // transaction would be recovered at a node whose finish is already committed.
        await tx.updateProcess(processId, { currentNodeId: current, asleep: false })
        return current
      }
    }
  }

  async #executeStep(
    tx: Runtime,
    after: AfterCommit,
    processId: string,
    nodeId: string,
    firstInGroup: boolean,
  ): Promise<StepOutcome> {
    const process = await tx.getProcess(processId)
    if (!process || process.dead) {
      this.#discardProcessCall(processId, nodeId, 'its process ended while the call ran')
      return STOP
    }

    if (process.destinationId === nodeId && process.parentId) {
      await tx.updateProcess(processId, { dead: true, asleep: true, currentNodeId: nodeId })
      const acks = await tx.addAck(process.parentId)
      const parent = await tx.getProcess(process.parentId)
      if (parent && acks === parent.needAck) {
        await this.wakeJoined(tx, parent.id, nodeId)
        after.push(() => this.deps.dispatcher.execute(parent.id, nodeId))
      }
      return STOP
    }

    await tx.updateProcess(processId, { currentNodeId: nodeId, asleep: false })
    const pipelineStates = await tx.getStates(process.pipelineStack)
    const root = pipelineStates.find((s) => s.nodeId === process.rootPipelineId)
    if (!root || root.name === 'REVOKED') {
      await tx.updateProcess(processId, { dead: true })
      this.#discardProcessCall(processId, nodeId, 'the pipeline was revoked while the call ran')
      return STOP
    }
    // A component that answered after its step committed: its answer goes in before a pause of
    // the pipeline stops the process (at the node after this one).
    const pending = this.calls.pendingCall(nodeId, 'execute')
    if (pending?.processId === processId && pending.answer) {
      return this.#resumeCall(tx, after, process, nodeId, firstInGroup)
    }
    for (const id of process.pipelineStack) {
      const state = pipelineStates.find((s) => s.nodeId === id)
      if (state?.name === 'SUSPENDED') {
        // A resume that commits between the read above and this suspension would find no
        // suspended process to wake: hold the paused state until the commit.
        if (!(await tx.updateState(id, state.version, {}, 'SUSPENDED'))) {
          throw new RuntimeInterruptedError(`pipeline(${id}) was resumed while its process ran`)
        }
        await tx.updateProcess(processId, { suspended: true, suspendedBy: id })
        return STOP
      }
    }

    const node = await this.node(tx, nodeId)
    if (!node) {
      await tx.updateProcess(processId, { asleep: true })
      return STOP
    }
    const existing = await tx.getState(nodeId)
    let state: StateRecord
    if (existing) {
      if (
        existing.name === 'FINISHED' &&
        node.type !== 'SubProcess' &&
        existing.loop > this.deps.rerunLimit
      ) {
        await tx.setExecutionData(nodeId, {
          inputs: {},
          outputs: { ex_data: `node execution exceed rerun limit ${this.deps.rerunLimit}` },
        })
        await tx.updateProcess(processId, { asleep: true })
        await this.setState(tx, nodeId, 'FAILED')
        return STOP
      }
      if (existing.name === 'SUSPENDED') {
        if (!(await tx.updateState(nodeId, existing.version, {}, 'SUSPENDED'))) {
          throw new RuntimeInterruptedError(`node(${nodeId}) was resumed while its process ran`)
        }
        await tx.updateState(nodeId, existing.version, {
          rootId: node.rootPipelineId,
          parentId: node.pipelineId,
        })
        await tx.updateProcess(processId, { suspended: true, suspendedBy: nodeId })
        return STOP
      }
      if (
        existing.name === 'RUNNING' &&
        !process.asleep &&
        process.currentNodeId === nodeId &&
        (node.type === 'ServiceActivity' || isExecutableEnd(node.type))
      ) {
        // The step that made it RUNNING committed while its component ran: either the call still
        // runs here (its answer comes in its own step), or the worker that made it stopped and
        // it runs again.
        const call = this.calls.pendingCall(nodeId, 'execute')
        if (call && call.processId === processId) return STOP
        return this.#resumeCall(tx, after, process, nodeId, firstInGroup)
      }
      if (
        existing.name !== 'READY' &&
        existing.name !== 'FINISHED' &&
        existing.name !== 'LOOP_READY'
      ) {
        await tx.updateProcess(processId, { asleep: true })
        return STOP
      }
      if (existing.name === 'FINISHED') {
        await this.addHistory(tx, existing)
        state = await this.setState(tx, nodeId, 'RUNNING', {
          current: existing,
          refreshVersion: true,
          setStarted: true,
          patch: {
            loop: existing.loop + 1,
            innerLoop: existing.innerLoop + 1,
            retry: node.loopConfig ? existing.retry : 0,
            skip: false,
            errorIgnored: false,
          },
        })
      } else {
        state = await this.setState(tx, nodeId, 'RUNNING', {
          current: existing,
          setStarted: true,
          ...(existing.name === 'READY' && node.loopConfig
            ? { patch: { loop: 1, innerLoop: 1 } }
            : {}),
        })
      }
    } else {
      state = await this.setState(tx, nodeId, 'RUNNING', {
        current: null,
        rootId: node.rootPipelineId,
        parentId: node.pipelineId,
      })
    }

    const ctx = { core: this, tx, after, process, node, state, resumed: false, firstInGroup }
    return handlerOf(node.type)(ctx)
  }

  /** Takes up an activity or executable end event RUNNING at its current version. */
  async #resumeCall(
    tx: Runtime,
    after: AfterCommit,
    process: ProcessRecord,
    nodeId: string,
    firstInGroup: boolean,
  ): Promise<StepOutcome> {
    const node = await this.node(tx, nodeId)
    const state = await tx.getState(nodeId)
    if (!node || !state || state.name !== 'RUNNING') {
      const call = this.calls.pendingCall(nodeId, 'execute')
      if (call) this.calls.discard(call, `node(${nodeId}) is ${state?.name ?? 'gone'}`)
      return STOP
    }
    const ctx = { core: this, tx, after, process, node, state, resumed: true, firstInGroup }
    return handlerOf(node.type)(ctx)
  }

  #discardProcessCall(processId: string, nodeId: string, reason: string): void {
    const call = this.calls.pendingCall(nodeId, 'execute')
    if (call?.processId === processId) this.calls.discard(call, reason)
  }

  /** Wakes a fork's parent at its converge gateway: every branch has arrived. */
  async wakeJoined(tx: Runtime, parentId: string, convergeId: string): Promise<void> {
    await tx.updateProcess(parentId, {
      ackNum: 0,
      needAck: 0,
      asleep: false,
      currentNodeId: convergeId,
    })
  }

  /** A new awake process at `nodeId`: a root process, or a forked child when `link` is given. */
  newProcess(
    rootPipelineId: string,
    nodeId: string,
    pipelineStack: string[],
    link: { parentId: string; destinationId: string } | null = null,
  ): ProcessRecord {
    return {
      id: this.deps.ids.next('process'),
      rootPipelineId,
      parentId: link?.parentId ?? null,
      destinationId: link?.destinationId ?? null,
      currentNodeId: nodeId,
      pipelineStack,
      asleep: false,
      suspended: false,
      suspendedBy: null,
      dead: false,
      ackNum: 0,
      needAck: 0,
    }
  }

  /** Forks one child process per target, each ending at the gateway's converge. */
  async forkProcesses(
    tx: Runtime,
    after: AfterCommit,
    process: ProcessRecord,
    gatewayId: string,
    convergeId: string,
    targets: string[],
  ): Promise<void> {
    const children = targets.map((target) =>
      this.newProcess(process.rootPipelineId, target, [...process.pipelineStack], {
        parentId: process.id,
        destinationId: convergeId,
      }),
    )
    await tx.updateProcess(process.id, {
      asleep: true,
      currentNodeId: gatewayId,
      ackNum: 0,
      needAck: children.length,
    })
    await tx.createProcesses(children)
    after.push(async () => {
      for (const child of children)
        await this.deps.dispatcher.execute(child.id, child.currentNodeId)
    })
  }

  /** Where a node-level loop goes after an iteration: the same node while iterations remain. */
  loopNext(node: NodeRecord, state: StateRecord): string {
    const loop = node.loopConfig
    return loop && state.innerLoop < loop.loopTimes ? node.id : node.targets[0]!.targetId
  }

  /** A loop node's outputs accumulate in its `outputs_key` context list, one entry an iteration. */
  async appendLoopOutputs(
    tx: Runtime,
    node: NodeRecord,
    state: StateRecord,
    outputs: Record<string, unknown>,
  ): Promise<void> {
    const key = formatKey(node.loopConfig!.outputsKey)
    const context = await tx.getContext(node.pipelineId)
    const list = Array.isArray(context[key]?.value) ? [...(context[key]!.value as unknown[])] : []
    const produced = outputs.outputs
    list.push({
      ...(typeof produced === 'object' && produced !== null ? produced : {}),
      result: outputs._result,
      inner_loop: state.innerLoop,
    })
    await tx.upsertContext(node.pipelineId, { [key]: { type: 'plain', value: list } })
  }

  /** Changes a loop node's accumulated outputs: drops the last entry, or clears them. */
  async trimLoopOutputs(tx: Runtime, node: NodeRecord, mode: 'drop_last' | 'clear'): Promise<void> {
    if (!node.loopConfig) return
    const key = formatKey(node.loopConfig.outputsKey)
    const context = await tx.getContext(node.pipelineId)
    const list = Array.isArray(context[key]?.value) ? [...(context[key]!.value as unknown[])] : []
    await tx.upsertContext(node.pipelineId, {
      [key]: { type: 'plain', value: mode === 'clear' ? [] : list.slice(0, -1) },
    })
  }

  // ---- schedule ---------------------------------------------------------------------------

  async schedule(processId: string, nodeId: string, scheduleId: string): Promise<void> {
    try {
      await this.#schedule(processId, nodeId, scheduleId)
    } finally {
      this.dispatched.finished(processId)
    }
  }

  async #schedule(processId: string, nodeId: string, scheduleId: string): Promise<void> {
    let next: string | null
    try {
      next = await this.step((tx, after) =>
        scheduleStep(this, tx, after, processId, nodeId, scheduleId),
      )
    } catch (error) {
      if (this.isInterruption(error)) throw error
      await this.#failStep(processId, nodeId, error, scheduleId)
      return
    }
    if (next) await this.#execute(processId, next)
  }

  /** Fails a running activity now: `ex_data`, `_forced_failed`, a new version, its process asleep. */
  async forceFail(
    tx: Runtime,
    node: NodeRecord,
    state: StateRecord,
    exData: string,
    options: { silent?: boolean; after?: AfterCommit } = {},
  ): Promise<StateRecord> {
    const silent = options.silent === true
    const execution = (await tx.getExecutionData(node.id)) ?? { inputs: {}, outputs: {} }
    await tx.setExecutionData(node.id, {
      inputs: execution.inputs,
      outputs: { ...execution.outputs, ex_data: exData, _forced_failed: true },
    })
    const failed = await this.setState(tx, node.id, 'FAILED', {
      version: state.version,
      refreshVersion: true,
      silent,
    })
    for (const process of await tx.findProcesses({ currentNodeId: node.id })) {
      await tx.updateProcess(process.id, { asleep: true })
    }
    const schedule = await tx.findSchedule(node.id, state.version)
    if (schedule && !schedule.finished) await tx.updateSchedule(schedule.id, { expired: true })
    // Once the failure is committed, a component still running for the node is stopped and
    // whatever it answers is dropped.
    options.after?.push(() =>
      this.calls.discardCalls({ nodeId: node.id }, exData || 'forced to fail'),
    )
    return failed
  }
}
