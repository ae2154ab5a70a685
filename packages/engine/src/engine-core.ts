import { bareKey, evaluateCondition, formatKey } from '@culm/expr'
import { type AfterCommit, type ComponentCall, ComponentCalls, isCall } from './component-calls.js'
import { hydrate, type LazyCompute, referencedKeys, renderInputs } from './context.js'
import {
  isInterruptedError,
  RuntimeInterruptedError,
  StateTransitionError,
  VersionMismatchError,
} from './errors.js'
import type { Clock, IdGenerator } from './ports/clock.js'
import type { ComponentCallInput, ComponentRunner } from './ports/components.js'
import type { Dispatcher, StepHandler } from './ports/dispatcher.js'
import type { EngineHooks } from './ports/hooks.js'
import type {
  ContextValue,
  DataRecord,
  ExecutionDataRecord,
  NodeRecord,
  PipelineRecord,
  ProcessRecord,
  ScheduleRecord,
  StateRecord,
} from './ports/records.js'
import type { Runtime, StatePatch } from './ports/runtime.js'
import { ARCHIVED_STATES, canTransit, type StateName } from './states.js'

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

/** How often `recover()` picks a process up at one node before failing that node. */
export const MAX_RECOVERIES = 3

/** How often a step interrupted by the storage is tried before its error is let through. */
export const MAX_STEP_ATTEMPTS = 8

/** A transaction holds at most this many consecutive steps of one process... */
export const GROUP_MAX_STEPS = 200
/** ...and is committed after this many milliseconds at the latest. */
export const GROUP_MAX_MS = 50

/** Every node type but an executable end event's (whose type names its code). */
const NOT_EXECUTABLE_END = new Set([
  'EmptyStartEvent',
  'EmptyEndEvent',
  'ServiceActivity',
  'SubProcess',
  'ParallelGateway',
  'ConditionalParallelGateway',
  'ExclusiveGateway',
  'ConvergeGateway',
])

type StepOutcome = { next: string } | { stop: true } | { poll: string }
const STOP: StepOutcome = { stop: true }

/**
 * A node's context as its inputs see it: where the node's `_loop` / `_inner_loop` outputs go
 * (a `${key}` fed by them), the new values are there already, so that constants derived from
 * those keys use this loop's count, as in the Python engine.
 */
function preExtract(
  context: Record<string, ContextValue>,
  data: DataRecord | undefined,
  system: { _loop: number; _inner_loop: number },
): Record<string, ContextValue> {
  for (const key of ['_loop', '_inner_loop'] as const) {
    for (const contextKey of data?.outputs[key] ?? [])
      context[formatKey(bareKey(contextKey))] = { type: 'plain', value: system[key] }
  }
  return context
}

/** What the execute call of a node's component receives. */
function executeInput(
  node: NodeRecord,
  state: StateRecord,
  inputs: Record<string, unknown>,
  parentData: Record<string, unknown>,
): ComponentCallInput {
  return {
    inputs,
    outputs: {},
    parentData,
    scheduleTimes: 0,
    nodeId: node.id,
    version: state.version,
    rootPipelineId: node.rootPipelineId,
    loop: state.loop,
    innerLoop: state.innerLoop,
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The engine's step functions and the state helpers the API shares: `execute` pushes a process
 * node by node, `schedule` runs one poll, callback, timeout or automatic retry.
 */
export class Core implements StepHandler {
  readonly deps: CoreDeps
  #pipelines = new Map<string, PipelineRecord>()

  /** The component calls this engine makes. */
  readonly calls: ComponentCalls

  constructor(deps: CoreDeps) {
    this.deps = deps
    this.calls = new ComponentCalls(deps)
  }

  get runtime(): Runtime {
    return this.deps.runtime
  }

  newVersion(): string {
    return this.deps.ids.next('v')
  }

  /**
   * Runs one transaction, then the work it left for after the commit. A storage interruption
   * rolls the transaction back and runs it again (a few times, backing off);
   * component calls already made in it are not made again: their results are held until the
   * commit (the recover point), so side effects happen once as long as this process lives.
   */
  async step<T>(fn: (tx: Runtime, after: AfterCommit) => Promise<T>): Promise<T> {
    const after: AfterCommit = []
    this.calls.begin(after)
    for (let attempt = 1; ; attempt++) {
      let result: T
      try {
        result = await this.runtime.transaction((tx) => {
          // A runtime may run the function again itself: only the last attempt's work counts.
          after.length = 0
          return fn(tx, after)
        })
      } catch (error) {
        // Held answers outlive a step that failed for another reason than an interruption: the
        // engine runs its nodes again one by one to find the one to fail (see `execute`).
        if (this.#isInterruption(error) && attempt >= MAX_STEP_ATTEMPTS) this.calls.end(after)
        if (attempt >= MAX_STEP_ATTEMPTS || !this.#isInterruption(error)) throw error
        // Real time, not the injected clock: a test that holds its clock still must not stall a
        // step that the storage interrupted.
        await new Promise((resolve) =>
          globalThis.setTimeout(resolve, Math.min(200, 5 * 2 ** attempt)),
        )
        continue
      }
      // Committed: the held component results of this step are written down, drop them.
      this.calls.end(after)
      for (const action of after) await action()
      return result
    }
  }

  #isInterruption(error: unknown): boolean {
    return this.runtime.isInterruption?.(error) === true || isInterruptedError(error)
  }

  /** A storage interruption is never a node's failure: it aborts the step, which runs again. */
  #throwInterruption(error: unknown): void {
    if (this.#isInterruption(error)) throw error
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
      const delay = schedule.dueAt === null ? 0 : Math.max(0, schedule.dueAt - now)
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
    let current: string | null = nodeId
    while (current !== null) {
      const from: string = current
      try {
        const maxSteps = this.#oneByOne.has(processId) ? 1 : GROUP_MAX_STEPS
        current = await this.step((tx, after) =>
          this.#executeGroup(tx, after, processId, from, maxSteps),
        )
      } catch (error) {
        if (this.#isInterruption(error)) throw error
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
    const resumable = node?.type === 'ServiceActivity' || (node && this.#isExecutableEnd(node))
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
        if (this.#isInterruption(again)) throw again
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
      const outcome = await this.#executeStep(tx, after, processId, current)
      if ('stop' in outcome) return null
      if ('poll' in outcome) {
        // The first poll is due at once: run it here rather than through the dispatcher's queue.
        const next = await this.#scheduleStep(tx, after, processId, current, outcome.poll)
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
        await tx.updateProcess(parent.id, {
          ackNum: 0,
          needAck: 0,
          asleep: false,
          currentNodeId: nodeId,
        })
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
      return this.#resumeCall(tx, after, process, nodeId)
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
        (node.type === 'ServiceActivity' || this.#isExecutableEnd(node))
      ) {
        // The step that made it RUNNING committed while its component ran: either the call still
        // runs here (its answer comes in its own step), or the worker that made it stopped and
        // it runs again.
        const call = this.calls.pendingCall(nodeId, 'execute')
        if (call && call.processId === processId) return STOP
        return this.#resumeCall(tx, after, process, nodeId)
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

    switch (node.type) {
      case 'EmptyStartEvent':
        return this.#startEvent(tx, process, node, state)
      case 'ServiceActivity':
        return this.#serviceActivity(tx, after, process, node, state)
      case 'SubProcess':
        return this.#subProcess(tx, process, node, state)
      case 'ParallelGateway':
        return this.#fork(
          tx,
          after,
          process,
          node,
          state,
          node.targets.map((t) => t.targetId),
        )
      case 'ConditionalParallelGateway':
        return this.#conditionalParallel(tx, after, process, node, state)
      case 'ExclusiveGateway':
        return this.#exclusive(tx, process, node, state)
      case 'ConvergeGateway':
        await this.setState(tx, nodeId, 'FINISHED', { version: state.version, current: state })
        return { next: node.targets[0]!.targetId }
      default:
        return this.#endEvent(tx, after, process, node, state)
    }
  }

  #isExecutableEnd(node: NodeRecord): boolean {
    return !NOT_EXECUTABLE_END.has(node.type)
  }

  /** Takes up an activity or executable end event RUNNING at its current version. */
  async #resumeCall(
    tx: Runtime,
    after: AfterCommit,
    process: ProcessRecord,
    nodeId: string,
  ): Promise<StepOutcome> {
    const node = await this.node(tx, nodeId)
    const state = await tx.getState(nodeId)
    if (!node || !state || state.name !== 'RUNNING') {
      const call = this.calls.pendingCall(nodeId, 'execute')
      if (call) this.calls.discard(call, `node(${nodeId}) is ${state?.name ?? 'gone'}`)
      return STOP
    }
    if (node.type === 'ServiceActivity') {
      return this.#serviceActivity(tx, after, process, node, state, true)
    }
    return this.#endEvent(tx, after, process, node, state)
  }

  #discardProcessCall(processId: string, nodeId: string, reason: string): void {
    const call = this.calls.pendingCall(nodeId, 'execute')
    if (call?.processId === processId) this.calls.discard(call, reason)
  }

  async #fail(
    tx: Runtime,
    processId: string,
    node: NodeRecord,
    state: StateRecord,
    exData: string,
    inputs: Record<string, unknown> = {},
  ): Promise<StepOutcome> {
    await tx.setExecutionData(node.id, { inputs, outputs: { ex_data: exData } })
    await tx.updateProcess(processId, { asleep: true })
    await this.setState(tx, node.id, 'FAILED', { version: state.version, current: state })
    return STOP
  }

  async #startEvent(
    tx: Runtime,
    process: ProcessRecord,
    node: NodeRecord,
    state: StateRecord,
  ): Promise<StepOutcome> {
    if (node.preRenderKeys?.length) {
      const context = await tx.getContext(node.pipelineId)
      const pipeline = await this.pipeline(tx, node.rootPipelineId)
      try {
        const hydrated = await hydrate(
          context,
          node.preRenderKeys,
          this.lazyFor(pipeline, state.innerLoop),
        )
        const frozen: Record<string, ContextValue> = {}
        for (const key of node.preRenderKeys) {
          const bare = bareKey(key)
          if (bare in hydrated) frozen[formatKey(bare)] = { type: 'plain', value: hydrated[bare] }
        }
        await tx.upsertContext(node.pipelineId, frozen)
      } catch (error) {
        this.#throwInterruption(error)
        return this.#fail(
          tx,
          process.id,
          node,
          state,
          `context hydrate failed(${errorText(error)})`,
        )
      }
    }
    await this.setState(tx, node.id, 'FINISHED', { version: state.version, current: state })
    return { next: node.targets[0]!.targetId }
  }

  async #pipelineOutputs(tx: Runtime, node: NodeRecord, pipelineId: string, innerLoop: number) {
    const keys = node.pipelineOutputs ?? []
    const outputs: Record<string, unknown> = {}
    if (keys.length === 0) return outputs
    const context = await tx.getContext(pipelineId)
    const pipeline = await this.pipeline(tx, node.rootPipelineId)
    const hydrated = await hydrate(context, keys, this.lazyFor(pipeline, innerLoop))
    for (const key of keys) {
      const bare = bareKey(key)
      outputs[formatKey(bare)] = bare in hydrated ? hydrated[bare] : key
    }
    return outputs
  }

  async #endEvent(
    tx: Runtime,
    after: AfterCommit,
    process: ProcessRecord,
    node: NodeRecord,
    state: StateRecord,
  ): Promise<StepOutcome> {
    const pipelineId = node.pipelineId
    if (node.type !== 'EmptyEndEvent') {
      const failure = await this.#runEndEventCode(after, process, node, state)
      if (failure !== null && typeof failure !== 'string') {
        this.calls.continueWhenAnswered(after, failure)
        return STOP
      }
      if (failure !== null) return this.#fail(tx, process.id, node, state, failure)
      if (!(await this.#stillRunning(tx, node.id, state, 'execute'))) return STOP
    }
    let outputs: Record<string, unknown>
    try {
      outputs = await this.#pipelineOutputs(tx, node, pipelineId, state.innerLoop)
    } catch (error) {
      this.#throwInterruption(error)
      return this.#fail(tx, process.id, node, state, `context hydrate failed(${errorText(error)})`)
    }
    await this.setState(tx, node.id, 'FINISHED', { version: state.version, current: state })
    const pipelineState = await tx.getState(pipelineId)
    if (pipelineId === process.rootPipelineId) {
      await tx.setExecutionData(pipelineId, { inputs: {}, outputs })
      if (pipelineState)
        await this.setState(tx, pipelineId, 'FINISHED', { version: pipelineState.version })
      await tx.updateProcess(process.id, { dead: true })
      return STOP
    }
    const subprocess = await this.node(tx, pipelineId)
    if (!subprocess || !pipelineState) return STOP
    const previous = await tx.getExecutionData(pipelineId)
    const subOutputs = {
      ...outputs,
      _loop: pipelineState.loop,
      _inner_loop: pipelineState.innerLoop,
    }
    await tx.setExecutionData(pipelineId, { inputs: previous?.inputs ?? {}, outputs: subOutputs })
    await this.extractOutputs(tx, subprocess, outputs)
    await this.setState(tx, pipelineId, 'FINISHED', { version: pipelineState.version })
    await tx.updateProcess(process.id, { pipelineStack: process.pipelineStack.slice(0, -1) })
    return { next: subprocess.targets[0]!.targetId }
  }

  /**
   * An executable end event runs the component registered under its type before ending its
   * pipeline; answers the failure reason, null, or the call when it runs past `FAST_CALL_MS`.
   */
  async #runEndEventCode(
    after: AfterCommit,
    process: ProcessRecord,
    node: NodeRecord,
    state: StateRecord,
  ): Promise<string | null | ComponentCall> {
    const ref = { code: node.type, version: 'legacy' }
    if (!this.deps.components.info(ref)) return null
    const result = await this.calls.callComponent(
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

  async #subProcess(
    tx: Runtime,
    process: ProcessRecord,
    node: NodeRecord,
    state: StateRecord,
  ): Promise<StepOutcome> {
    const data = await tx.getData(node.id)
    const system = { _loop: state.loop, _inner_loop: state.innerLoop }
    const context = preExtract(await tx.getContext(node.pipelineId), data, system)
    const pipeline = await this.pipeline(tx, node.rootPipelineId)
    let params: Record<string, unknown>
    try {
      params = await renderInputs(
        data?.inputs ?? {},
        context,
        this.lazyFor(pipeline, state.innerLoop),
        system,
      )
    } catch (error) {
      this.#throwInterruption(error)
      return this.#fail(tx, process.id, node, state, `context hydrate failed(${errorText(error)})`)
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

  async #evaluate(
    tx: Runtime,
    node: NodeRecord,
    state: StateRecord,
  ): Promise<{ hits: string[] } | { error: string }> {
    const conditions = node.conditions ?? []
    const context = await tx.getContext(node.pipelineId)
    const pipeline = await this.pipeline(tx, node.rootPipelineId)
    let hydrated: Record<string, unknown>
    try {
      hydrated = await hydrate(
        context,
        referencedKeys(conditions.map((c) => c.evaluate)),
        this.lazyFor(pipeline, state.innerLoop),
      )
    } catch (error) {
      this.#throwInterruption(error)
      return { error: `context hydrate failed(${errorText(error)})` }
    }
    const hits: string[] = []
    for (const condition of conditions) {
      try {
        if (evaluateCondition(condition.evaluate, hydrated)) {
          hits.push(condition.flowId)
          if (node.strategy === 'first') break
        }
      } catch (error) {
        this.#throwInterruption(error)
        return {
          error: `evaluate[${condition.evaluate}] fail with data[${JSON.stringify(hydrated)}] message: ${errorText(error)}`,
        }
      }
    }
    return { hits }
  }

  async #exclusive(
    tx: Runtime,
    process: ProcessRecord,
    node: NodeRecord,
    state: StateRecord,
  ): Promise<StepOutcome> {
    const evaluated = await this.#evaluate(tx, node, state)
    if ('error' in evaluated) return this.#fail(tx, process.id, node, state, evaluated.error)
    let flowId: string | undefined
    if (evaluated.hits.length === 1) flowId = evaluated.hits[0]
    else if (evaluated.hits.length > 1) {
      return this.#fail(
        tx,
        process.id,
        node,
        state,
        `multiple conditions meet: ${JSON.stringify(evaluated.hits)}`,
      )
    } else if (node.defaultFlowId) flowId = node.defaultFlowId
    else return this.#fail(tx, process.id, node, state, 'all conditions of branches are not meet')
    const target = node.targets.find((t) => t.flowId === flowId)!
    await this.setState(tx, node.id, 'FINISHED', { version: state.version, current: state })
    return { next: target.targetId }
  }

  async #conditionalParallel(
    tx: Runtime,
    after: AfterCommit,
    process: ProcessRecord,
    node: NodeRecord,
    state: StateRecord,
  ): Promise<StepOutcome> {
    const evaluated = await this.#evaluate(tx, { ...node, strategy: 'only' }, state)
    if ('error' in evaluated) return this.#fail(tx, process.id, node, state, evaluated.error)
    let flows = evaluated.hits
    if (flows.length === 0) {
      if (!node.defaultFlowId) {
        return this.#fail(tx, process.id, node, state, 'all conditions of branches are not meet')
      }
      flows = [node.defaultFlowId]
    }
    const targets = node.targets.filter((t) => flows.includes(t.flowId)).map((t) => t.targetId)
    return this.#fork(tx, after, process, node, state, targets)
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

  async #fork(
    tx: Runtime,
    after: AfterCommit,
    process: ProcessRecord,
    node: NodeRecord,
    state: StateRecord,
    targets: string[],
  ): Promise<StepOutcome> {
    await this.forkProcesses(tx, after, process, node.id, node.convergeGatewayId!, targets)
    await this.setState(tx, node.id, 'FINISHED', { version: state.version, current: state })
    return STOP
  }

  /**
   * Runs an activity's execute. `resumed`: the node is already RUNNING from a step that committed
   * while its component ran (its answer is held), or whose worker stopped meanwhile (it runs again).
   */
  async #serviceActivity(
    tx: Runtime,
    after: AfterCommit,
    process: ProcessRecord,
    node: NodeRecord,
    state: StateRecord,
    resumed = false,
  ): Promise<StepOutcome> {
    const ref = node.component!
    const system = { _loop: state.loop, _inner_loop: state.innerLoop }
    const data = await tx.getData(node.id)
    const pipeline = await this.pipeline(tx, node.rootPipelineId)
    let inputs: Record<string, unknown>
    try {
      const context = preExtract(await tx.getContext(node.pipelineId), data, system)
      inputs = await renderInputs(
        data?.inputs ?? {},
        context,
        this.lazyFor(pipeline, state.innerLoop),
        system,
      )
    } catch (error) {
      this.#throwInterruption(error)
      const raw = Object.fromEntries(
        Object.entries(data?.inputs ?? {}).map(([k, v]) => [k, v.value]),
      )
      await tx.setExecutionData(node.id, {
        inputs: raw,
        outputs: {
          ex_data: `inputs hydrate failed(${errorText(error)})`,
          _result: false,
          ...system,
        },
      })
      await tx.updateProcess(process.id, { asleep: true })
      await this.setState(tx, node.id, 'FAILED', { version: state.version, current: state })
      return STOP
    }
    Object.assign(inputs, system)
    const info = this.deps.components.info(ref)
    if (!info) {
      return this.#fail(
        tx,
        process.id,
        node,
        state,
        `component(${ref.code}) version(${ref.version}) does not exist`,
        inputs,
      )
    }
    if (node.timeout && !resumed) {
      const delay = node.timeout.seconds * 1000
      const schedule = await this.#createSchedule(
        tx,
        'timeout',
        process.id,
        node.id,
        state.version,
        delay,
      )
      after.push(() => this.deps.dispatcher.schedule(process.id, node.id, schedule.id, delay))
    }

    const result = await this.calls.callComponent(
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
      this.calls.continueWhenAnswered(after, result)
      return STOP
    }
    const outputs: Record<string, unknown> = {
      ...result.outputs,
      _result: result.success,
      ...system,
    }
    if (!result.success && outputs.ex_data === undefined && result.error)
      outputs.ex_data = result.error

    if (!(await this.#stillRunning(tx, node.id, state, 'execute'))) return STOP
    await tx.setExecutionData(node.id, { inputs, outputs })

    if (result.success) {
      if (info.scheduleMode === 'none') return this.#finishActivity(tx, node, state, outputs, false)
      const type = info.scheduleMode
      const schedule = await this.#createSchedule(
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
    if (node.errorIgnorable) return this.#finishActivity(tx, node, state, outputs, true)
    return this.#failActivity(tx, after, process.id, node, state, outputs)
  }

  /**
   * Whether a node is still RUNNING at the version its component was called with; if not (it was
   * force-failed, timed out or retried meanwhile) the component's answer is discarded.
   */
  async #stillRunning(
    tx: Runtime,
    nodeId: string,
    state: StateRecord,
    phase: 'execute' | 'schedule',
  ): Promise<boolean> {
    const now = await tx.getState(nodeId)
    if (now && now.version === state.version && now.name === 'RUNNING') return true
    const reason = now
      ? `node(${nodeId}) is ${now.name} at version ${now.version} since the call began`
      : `node(${nodeId}) has no state any more`
    this.calls.discardAt(nodeId, phase, state.version, reason)
    return false
  }

  async #createSchedule(
    tx: Runtime,
    type: ScheduleRecord['type'],
    processId: string,
    nodeId: string,
    version: string,
    delayMs: number | null,
  ): Promise<ScheduleRecord> {
    const schedule: ScheduleRecord = {
      dueAt: delayMs === null ? null : this.deps.clock.now() + delayMs,
      id: this.deps.ids.next('schedule'),
      type,
      processId,
      nodeId,
      version,
      finished: false,
      expired: false,
      scheduling: false,
      times: 0,
    }
    await tx.createSchedule(schedule)
    return schedule
  }

  async #finishActivity(
    tx: Runtime,
    node: NodeRecord,
    state: StateRecord,
    outputs: Record<string, unknown>,
    errorIgnored: boolean,
  ): Promise<StepOutcome> {
    await this.setState(tx, node.id, 'FINISHED', {
      version: state.version,
      patch: errorIgnored ? { errorIgnored: true } : {},
    })
    if (!node.loopConfig) {
      await this.extractOutputs(tx, node, outputs)
      return { next: node.targets[0]!.targetId }
    }
    await this.appendLoopOutputs(tx, node, state, outputs)
    return { next: this.loopNext(node, state) }
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

  async #failActivity(
    tx: Runtime,
    after: AfterCommit,
    processId: string,
    node: NodeRecord,
    state: StateRecord,
    outputs: Record<string, unknown>,
  ): Promise<StepOutcome> {
    if (node.loopConfig?.failSkip) {
      const outcome = await this.#finishActivity(tx, node, state, outputs, true)
      if ('next' in outcome) {
        await tx.updateProcess(processId, { currentNodeId: outcome.next })
        after.push(() => this.deps.dispatcher.execute(processId, outcome.next))
      }
      return STOP
    }
    await tx.updateProcess(processId, { asleep: true })
    await this.setState(tx, node.id, 'FAILED', { version: state.version, current: state })
    await this.extractOutputs(tx, node, outputs)
    if (node.autoRetry && state.retry < node.autoRetry.times) {
      const delay = node.autoRetry.intervalSeconds * 1000
      const schedule = await this.#createSchedule(
        tx,
        'auto_retry',
        processId,
        node.id,
        state.version,
        delay,
      )
      after.push(() => this.deps.dispatcher.schedule(processId, node.id, schedule.id, delay))
    }
    return STOP
  }

  // ---- schedule ---------------------------------------------------------------------------

  async schedule(processId: string, nodeId: string, scheduleId: string): Promise<void> {
    let next: string | null
    try {
      next = await this.step((tx, after) =>
        this.#scheduleStep(tx, after, processId, nodeId, scheduleId),
      )
    } catch (error) {
      if (this.#isInterruption(error)) throw error
      await this.#failStep(processId, nodeId, error, scheduleId)
      return
    }
    if (next) await this.execute(processId, next)
  }

  async #scheduleStep(
    tx: Runtime,
    after: AfterCommit,
    processId: string,
    nodeId: string,
    scheduleId: string,
  ): Promise<string | null> {
    const schedule = await tx.getSchedule(scheduleId)
    const drop = (reason: string) => {
      const call = this.calls.pendingCall(nodeId, 'schedule', scheduleId)
      if (call) this.calls.discard(call, reason)
    }
    if (!schedule || schedule.finished || schedule.expired) {
      drop(`the schedule of node(${nodeId}) ended while the call ran`)
      return null
    }
    const [state, node, process] = await Promise.all([
      tx.getState(nodeId),
      this.node(tx, nodeId),
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
      const failed = await this.forceFail(
        tx,
        node,
        state,
        `node timeout: ${node.timeout?.seconds ?? 0} seconds`,
        { after },
      )
      if (node.timeout?.action !== 'forced_fail_and_skip') return null
      await this.addHistory(tx, failed)
      await this.setState(tx, node.id, 'FINISHED', {
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
      await this.addHistory(tx, state)
      await this.setState(tx, nodeId, 'READY', {
        version: state.version,
        refreshVersion: true,
        patch: { retry: state.retry + 1, startedTime: null, archivedTime: null },
      })
      await tx.updateProcess(process.id, { asleep: false })
      return nodeId
    }

    if (state.version !== schedule.version || state.name !== 'RUNNING') {
      await tx.updateSchedule(schedule.id, { expired: true })
      const call = this.calls.pendingCall(nodeId, 'schedule', scheduleId)
      if (call)
        this.calls.discard(call, `node(${nodeId}) is ${state.name} at version ${state.version}`)
      return null
    }
    let callbackData: unknown
    let callbackId = ''
    let times: number
    const pending = this.calls.pendingCall(nodeId, 'schedule', scheduleId)
    if (pending) {
      // The step that took the schedule's lock (and callback) committed while the call ran.
      if (!pending.answer) return null
      callbackData = pending.callbackData
      callbackId = pending.callbackId ?? ''
      times = pending.scheduleTimes
    } else {
      if (!(await tx.lockSchedule(schedule.id))) {
        if (schedule.type === 'multi_callback') {
          after.push(() => this.deps.dispatcher.schedule(processId, nodeId, scheduleId, 1000))
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

    const pipeline = await this.pipeline(tx, node.rootPipelineId)
    const execution: ExecutionDataRecord = (await tx.getExecutionData(nodeId)) ?? {
      inputs: {},
      outputs: {},
    }
    const result = await this.calls.callComponent(
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
      this.calls.continueWhenAnswered(after, result)
      return null
    }
    const system = { _loop: state.loop, _inner_loop: state.innerLoop }
    const outputs: Record<string, unknown> = {
      ...result.outputs,
      _result: result.success,
      ...system,
    }
    if (!result.success && outputs.ex_data === undefined && result.error)
      outputs.ex_data = result.error

    if (!(await this.#stillRunning(tx, nodeId, state, 'schedule'))) {
      await tx.updateSchedule(schedule.id, { expired: true, scheduling: false })
      return null
    }
    if (callbackId && !(await tx.consumeCallback(callbackId))) {
      // Applied by another step already: a callback's data is applied once.
      if (pending) this.calls.discard(pending, `callback(${callbackId}) was applied already`)
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
          await tx.updateSchedule(schedule.id, { dueAt: this.deps.clock.now() + delay })
          after.push(() => this.deps.dispatcher.schedule(processId, nodeId, scheduleId, delay))
        } else {
          // Callbacks that came while this one was handled wait for the lock: take the next.
          after.push(() => this.deps.dispatcher.schedule(processId, nodeId, scheduleId, 0))
        }
        return null
      }
      await tx.updateSchedule(schedule.id, { finished: true })
      const outcome = await this.#finishActivity(tx, node, state, outputs, false)
      const next = 'next' in outcome ? outcome.next : null
      if (next) await tx.updateProcess(process.id, { asleep: false, currentNodeId: next })
      return next
    }
    if (node.errorIgnorable) {
      await tx.updateSchedule(schedule.id, { finished: true })
      const outcome = await this.#finishActivity(tx, node, state, outputs, true)
      const next = 'next' in outcome ? outcome.next : null
      if (next) await tx.updateProcess(process.id, { asleep: false, currentNodeId: next })
      return next
    }
    await this.#failActivity(tx, after, process.id, node, state, outputs)
    return null
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
