import { bareKey, formatKey } from '@culm/expr'
import {
  checkStartNode,
  checkTreeReadable,
  type EngineTree,
  type PipelineTree,
  recordValues,
  toEngineTree,
  validateTree,
  withRecordCache,
} from '@culm/tree'
import type { AfterCommit } from '../component-calls.js'
import { componentLookup } from '../component-version.js'
import { renderInputs } from '../context.js'
import type { Core } from '../engine-core.js'
import { InvalidOperationError, NotFoundError, TreeInvalidEngineError } from '../errors.js'
import { cloneJson } from '../json.js'
import type { ComponentRunner } from '../ports/components.js'
import type { ContextValue, NodeRecord, ProcessRecord, StateRecord } from '../ports/records.js'
import type { Runtime } from '../ports/runtime.js'
import { type PreparedPipeline, preparePipeline } from '../prepare.js'
import { type Redispatched, redispatch } from '../redispatch.js'
import { historyEntry, stateEntry, stateTree } from './format.js'
import { type EngineAPIResult, guard, ok, refuse } from './result.js'

/** End-event types of a tree (and its subprocesses) that name a registered component. */
function executableEndTypes(tree: unknown, components: ComponentRunner): string[] {
  const found: string[] = []
  // A walk with a list, not recursion: subprocesses may be nested deeper than the stack.
  const pending: unknown[] = [tree]
  while (pending.length > 0) {
    const current = pending.pop()
    if (typeof current !== 'object' || current === null) continue
    const { end_event: end, activities } = current as {
      end_event?: { type?: unknown }
      activities?: unknown
    }
    const type = end?.type
    if (
      typeof type === 'string' &&
      type !== 'EmptyEndEvent' &&
      components.info({ code: type, version: 'legacy' })
    ) {
      found.push(type)
    }
    if (typeof activities === 'object' && activities !== null) {
      const record = activities as Record<string, { pipeline?: unknown } | null>
      for (const activity of recordValues(record)) pending.push(activity?.pipeline)
    }
  }
  return found
}

/** Arguments of `runPipeline`, the Python keyword names in camelCase. */
export interface RunPipelineArgs {
  pipeline: PipelineTree
  rootPipelineData?: Record<string, unknown>
  rootPipelineContext?: Record<string, unknown>
  subprocessContext?: Record<string, unknown>
  cycleTolerate?: boolean
  startNodeId?: string
}

/** Arguments of `previewNodeInputs`. */
export interface PreviewNodeInputsArgs {
  pipeline: PipelineTree
  nodeId: string
  subprocessStack?: string[]
  rootPipelineData?: Record<string, unknown>
  parentParams?: Record<string, unknown>
}

/**
 * Every function of the Python engine's `bamboo_engine.api`, in camelCase; each answers an
 * `EngineAPIResult` and never throws for a wrong state or a missing id.
 */
export class EngineAPI {
  #core: Core
  #sinkTypes: string[]

  constructor(core: Core, sinkTypes: string[] = []) {
    this.#core = core
    this.#sinkTypes = sinkTypes
  }

  get #runtime(): Runtime {
    return this.#core.runtime
  }

  async #node(tx: Runtime, nodeId: string): Promise<NodeRecord> {
    const node = await tx.getNode(nodeId)
    if (!node) throw new NotFoundError(`node(${nodeId}) does not exist`)
    return node
  }

  async #state(tx: Runtime, nodeId: string): Promise<StateRecord> {
    const state = await tx.getState(nodeId)
    if (!state) throw new NotFoundError(`node(${nodeId}) does not exist`)
    return state
  }

  async #sleepingProcess(tx: Runtime, nodeId: string): Promise<ProcessRecord | undefined> {
    const processes = await tx.findProcesses({ currentNodeId: nodeId, asleep: true })
    return processes.find((p) => !p.dead && p.needAck === 0)
  }

  /**
   * Validates a tree and compiles it into what `runPipeline` writes, or answers why it cannot run.
   * All of it is synchronous, so the enumerations of the tree's records are walked once.
   */
  #compile(
    args: RunPipelineArgs,
  ):
    | { refusal: EngineAPIResult<never> }
    | { engineTree: EngineTree; prepared: PreparedPipeline; startNodeId: string } {
    const components = this.#core.deps.components
    const known = [
      ...Object.keys(args.rootPipelineContext ?? {}),
      ...Object.keys(args.subprocessContext ?? {}),
    ].map(bareKey)
    const options = {
      cycleTolerate: args.cycleTolerate ?? false,
      sinkTypes: [...this.#sinkTypes, ...executableEndTypes(args.pipeline, components)],
      knownVariables: known,
      components: componentLookup(components),
    }
    const checked = validateTree(args.pipeline, options)
    if (!checked.valid) {
      const exc = new TreeInvalidEngineError(checked.problems)
      return { refusal: { result: false, message: exc.message, exc, data: null } }
    }
    // The conversion keeps the graph and the matched converge gateways, so it needs no second check.
    const engineTree: EngineTree = toEngineTree(checked.tree, { inPlace: true })
    const startNodeId = args.startNodeId ?? engineTree.start_event.id
    if (args.startNodeId !== undefined) {
      const problems = checkStartNode(engineTree, args.startNodeId, options)
      if (problems.length > 0) return { refusal: refuse(problems.map((p) => p.message).join('; ')) }
    }
    const prepared = preparePipeline(engineTree, {
      rootPipelineContext: args.rootPipelineContext ?? {},
      subprocessContext: args.subprocessContext ?? {},
    })
    return { engineTree, prepared, startNodeId }
  }

  /** Validates a tree and starts it; answers `{ pipeline_id }`. */
  runPipeline(args: RunPipelineArgs): Promise<EngineAPIResult<{ pipeline_id: string }>> {
    return guard(async () => {
      const compiled = withRecordCache(() => this.#compile(args))
      if ('refusal' in compiled) return compiled.refusal
      const { engineTree, prepared, startNodeId } = compiled
      const pipelineId = engineTree.id
      const refused = await this.#core.step(async (tx, after) => {
        if (await tx.getPipeline(pipelineId)) return `pipeline(${pipelineId}) already exists`
        const [taken] = await tx.findNodeIds(prepared.nodes.map((node) => node.id))
        if (taken !== undefined) {
          return `node(${taken}) already belongs to a started pipeline; node ids must be unique (give the tree new ids with replaceIds)`
        }
        await tx.createPipeline({
          id: pipelineId,
          tree: engineTree,
          rootPipelineData: args.rootPipelineData ?? {},
          createdTime: this.#core.deps.clock.now(),
        })
        await tx.createNodes(prepared.nodes)
        await tx.setDataBatch(prepared.data)
        for (const [id, values] of prepared.contexts) await tx.upsertContext(id, values)
        await tx.setExecutionData(pipelineId, { inputs: {}, outputs: {} })
        await this.#core.setState(tx, pipelineId, 'RUNNING', { rootId: pipelineId, parentId: '' })
        const process = this.#core.newProcess(pipelineId, startNodeId, [pipelineId])
        await tx.createProcesses([process])
        after.push(() => this.#core.deps.dispatcher.execute(process.id, startNodeId))
        return null
      })
      if (refused) return refuse(refused)
      return ok({ pipeline_id: pipelineId })
    })
  }

  /** Pauses a pipeline or subprocess: its processes stop at their next node. */
  pausePipeline(args: { pipelineId: string }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx) => {
        const state = await this.#state(tx, args.pipelineId)
        await this.#assertPipeline(tx, state)
        await this.#core.setState(tx, args.pipelineId, 'SUSPENDED', { version: state.version })
      })
      return ok(null)
    })
  }

  async #assertPipeline(tx: Runtime, state: StateRecord): Promise<void> {
    if (state.nodeId === state.rootId) return
    const node = await tx.getNode(state.nodeId)
    if (node?.type !== 'SubProcess')
      throw new NotFoundError(`pipeline(${state.nodeId}) does not exist`)
  }

  /** Resumes a paused pipeline or subprocess and the processes it stopped. */
  resumePipeline(args: { pipelineId: string }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      const refused = await this.#core.step(async (tx, after) => {
        const state = await this.#state(tx, args.pipelineId)
        await this.#assertPipeline(tx, state)
        if (state.name !== 'SUSPENDED')
          return `pipeline(${args.pipelineId}) state is: ${state.name}`
        await this.#core.setState(tx, args.pipelineId, 'RUNNING', { version: state.version })
        await this.#wake(tx, after, { suspendedBy: args.pipelineId })
        return null
      })
      return refused ? refuse(refused) : ok(null)
    })
  }

  async #wake(tx: Runtime, after: AfterCommit, where: { suspendedBy: string }): Promise<void> {
    for (const process of await tx.findProcesses({
      suspended: true,
      suspendedBy: where.suspendedBy,
    })) {
      await tx.updateProcess(process.id, { suspended: false, suspendedBy: null })
      after.push(() => this.#core.deps.dispatcher.execute(process.id, process.currentNodeId))
    }
  }

  /**
   * Culm's own: hands the work of a RUNNING pipeline that nothing moves on (a step that gave up,
   * a lost timer) to the dispatcher again; see `redispatch`. Calls run one after another, so two
   * never send one process on twice.
   */
  redispatchPipeline(args: { pipelineId: string }): Promise<EngineAPIResult<Redispatched>> {
    const answer = this.#redispatching.then(() =>
      guard(async () => ok(await redispatch(this.#core, args.pipelineId))),
    )
    this.#redispatching = answer
    return answer
  }

  #redispatching: Promise<unknown> = Promise.resolve()

  /** Revokes a pipeline for good: nothing of it runs any more. */
  revokePipeline(args: { pipelineId: string }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx, after) => {
        const state = await this.#state(tx, args.pipelineId)
        if (state.nodeId !== state.rootId)
          throw new NotFoundError(`pipeline(${args.pipelineId}) does not exist`)
        await this.#core.setState(tx, args.pipelineId, 'REVOKED', { version: state.version })
        for (const process of await tx.findProcesses({ rootPipelineId: args.pipelineId })) {
          await tx.updateProcess(process.id, { dead: true })
        }
        after.push(() =>
          this.#core.calls.discardCalls(
            { rootPipelineId: args.pipelineId },
            'the pipeline was revoked',
          ),
        )
      })
      return ok(null)
    })
  }

  /** Appoints a pause: the process stops when it reaches the node. */
  pauseNodeAppoint(args: { nodeId: string }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx) => {
        const node = await this.#node(tx, args.nodeId)
        if (node.type === 'SubProcess')
          throw new InvalidOperationError('can not use pause_node_appoint api for SubProcess')
        const state = await tx.getState(args.nodeId)
        if (state && state.name !== 'READY' && state.name !== 'LOOP_READY') {
          throw new InvalidOperationError(
            `can't not transit node(${args.nodeId}) state from ${state.name} to SUSPENDED`,
          )
        }
        await this.#core.setState(tx, args.nodeId, 'SUSPENDED', {
          ...(state ? { version: state.version } : {}),
          rootId: node.rootPipelineId,
          parentId: node.pipelineId,
        })
      })
      return ok(null)
    })
  }

  /** Lifts an appointed pause and restarts the process waiting at the node. */
  resumeNodeAppoint(args: { nodeId: string }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx, after) => {
        const node = await this.#node(tx, args.nodeId)
        if (node.type === 'SubProcess')
          throw new InvalidOperationError('can not use pause_node_appoint api for SubProcess')
        const state = await this.#state(tx, args.nodeId)
        await this.#core.setState(tx, args.nodeId, 'READY', { version: state.version })
        await this.#wake(tx, after, { suspendedBy: args.nodeId })
      })
      return ok(null)
    })
  }

  async #parkedProcess(tx: Runtime, nodeId: string): Promise<ProcessRecord> {
    const process = await this.#sleepingProcess(tx, nodeId)
    if (!process)
      throw new NotFoundError(`can not find sleep process with current node id: ${nodeId}`)
    return process
  }

  #assertFailed(state: StateRecord): void {
    if (state.name !== 'FAILED') {
      throw new InvalidOperationError(`${state.nodeId} state is not FAILED, actual ${state.name}`)
    }
  }

  /** Runs a failed node again; `data`, when given, replaces its inputs. */
  retryNode(args: {
    nodeId: string
    data?: Record<string, unknown>
    loopRetry?: boolean
  }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx, after) => {
        const node = await this.#node(tx, args.nodeId)
        if (!node.canRetry)
          throw new InvalidOperationError(
            `can not retry node(${args.nodeId}) with can_retry(False)`,
          )
        if (args.loopRetry && !(node.loopConfig?.retryable && node.loopConfig.loopTimes > 0)) {
          throw new InvalidOperationError(`node(${args.nodeId}) is not loop retryable`)
        }
        const state = await this.#state(tx, args.nodeId)
        this.#assertFailed(state)
        const process = await this.#parkedProcess(tx, args.nodeId)
        if (args.data !== undefined && args.data !== null) {
          const previous = (await tx.getData(args.nodeId)) ?? { inputs: {}, outputs: {} }
          const escaped = new Set(
            Array.isArray(args.data._escape_render_keys)
              ? (args.data._escape_render_keys as string[])
              : [],
          )
          const data = {
            outputs: previous.outputs,
            inputs: Object.fromEntries(
              Object.entries(args.data)
                .filter(([key]) => key !== '_escape_render_keys')
                .map(([key, value]) => [key, { needRender: !escaped.has(key), value }]),
            ),
          }
          await tx.setData(args.nodeId, data)
        }
        if (node.loopConfig)
          await this.#core.trimLoopOutputs(tx, node, args.loopRetry ? 'drop_last' : 'clear')
        await this.#restart(tx, after, process, state, args.loopRetry ? 'LOOP_READY' : 'READY')
      })
      return ok(null)
    })
  }

  async #restart(
    tx: Runtime,
    after: AfterCommit,
    process: ProcessRecord,
    state: StateRecord,
    to: 'READY' | 'LOOP_READY' = 'READY',
  ): Promise<void> {
    await this.#core.addHistory(tx, state)
    await this.#core.setState(tx, state.nodeId, to, {
      version: state.version,
      refreshVersion: true,
      patch: { retry: state.retry + 1, startedTime: null, archivedTime: null },
    })
    await tx.updateProcess(process.id, { asleep: false })
    after.push(() => this.#core.deps.dispatcher.execute(process.id, state.nodeId))
  }

  /** Runs a failed subprocess node again from its parameters. */
  retrySubprocess(args: { nodeId: string }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx, after) => {
        const node = await this.#node(tx, args.nodeId)
        if (node.type !== 'SubProcess')
          throw new InvalidOperationError(`node(${args.nodeId}) type is not SubProcess`)
        const state = await this.#state(tx, args.nodeId)
        this.#assertFailed(state)
        const process = await this.#parkedProcess(tx, args.nodeId)
        if (process.pipelineStack[process.pipelineStack.length - 1] === args.nodeId) {
          await tx.updateProcess(process.id, { pipelineStack: process.pipelineStack.slice(0, -1) })
        }
        await this.#restart(tx, after, process, state)
      })
      return ok(null)
    })
  }

  async #skipTo(
    tx: Runtime,
    after: AfterCommit,
    process: ProcessRecord,
    state: StateRecord,
    next: string,
  ): Promise<void> {
    await this.#core.addHistory(tx, state)
    await this.#core.setState(tx, state.nodeId, 'FINISHED', {
      version: state.version,
      refreshVersion: true,
      patch: { skip: true },
    })
    await tx.updateProcess(process.id, { asleep: false, currentNodeId: next })
    after.push(() => this.#core.deps.dispatcher.execute(process.id, next))
  }

  /**
   * Skips a failed activity (or start event). Its outputs are not copied to the context, as in
   * the bamboo engine; `extractOutputs` copies them (`ex_data` and the declared outputs, through
   * the node's output map) as the older pipeline engine's skip does.
   */
  skipNode(args: {
    nodeId: string
    loopSkip?: boolean
    extractOutputs?: boolean
  }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx, after) => {
        const node = await this.#node(tx, args.nodeId)
        if (!node.canSkip) throw new InvalidOperationError('can not skip this node')
        if (node.type !== 'ServiceActivity' && node.type !== 'EmptyStartEvent') {
          throw new InvalidOperationError(`can not use skip_node api for ${node.type}`)
        }
        if (args.loopSkip && !node.loopConfig?.skippable) {
          throw new InvalidOperationError(`node(${args.nodeId}) can not loop skip`)
        }
        const state = await this.#state(tx, args.nodeId)
        this.#assertFailed(state)
        const process = await this.#parkedProcess(tx, args.nodeId)
        if (args.extractOutputs) {
          const execution = await tx.getExecutionData(node.id)
          await this.#core.extractOutputs(tx, node, execution?.outputs ?? {})
        }
        const next = args.loopSkip ? this.#core.loopNext(node, state) : node.targets[0]!.targetId
        await this.#skipTo(tx, after, process, state, next)
      })
      return ok(null)
    })
  }

  /** Skips a failed exclusive gateway along the chosen flow. */
  skipExclusiveGateway(args: { nodeId: string; flowId: string }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx, after) => {
        const node = await this.#node(tx, args.nodeId)
        if (node.type !== 'ExclusiveGateway') {
          throw new InvalidOperationError(
            `${args.nodeId} is not exclusive gateway, actual: ${node.type}`,
          )
        }
        const state = await this.#state(tx, args.nodeId)
        this.#assertFailed(state)
        const process = await this.#parkedProcess(tx, args.nodeId)
        const target = node.targets.find((t) => t.flowId === args.flowId)
        if (!target)
          throw new InvalidOperationError(
            `flow(${args.flowId}) is not an outgoing flow of node(${args.nodeId})`,
          )
        await this.#skipTo(tx, after, process, state, target.targetId)
      })
      return ok(null)
    })
  }

  /** Skips a failed conditional parallel gateway, forking the chosen flows to the converge. */
  skipConditionalParallelGateway(args: {
    nodeId: string
    flowIds: string[]
    convergeGatewayId: string
  }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx, after) => {
        const node = await this.#node(tx, args.nodeId)
        if (node.type !== 'ConditionalParallelGateway') {
          throw new InvalidOperationError(
            `${args.nodeId} is not conditional parallel gateway, actual: ${node.type}`,
          )
        }
        const state = await this.#state(tx, args.nodeId)
        this.#assertFailed(state)
        const process = await this.#parkedProcess(tx, args.nodeId)
        if (!Array.isArray(args.flowIds) || args.flowIds.length === 0) {
          throw new InvalidOperationError('flow_ids must name at least one outgoing flow')
        }
        const targets = args.flowIds.map((flowId) => {
          const target = node.targets.find((t) => t.flowId === flowId)
          if (!target)
            throw new InvalidOperationError(
              `flow(${flowId}) is not an outgoing flow of node(${args.nodeId})`,
            )
          return target.targetId
        })
        if (args.convergeGatewayId !== node.convergeGatewayId) {
          throw new InvalidOperationError(
            `converge gateway(${args.convergeGatewayId}) does not match node(${args.nodeId}) converge gateway(${node.convergeGatewayId})`,
          )
        }
        await this.#core.addHistory(tx, state)
        await this.#core.setState(tx, args.nodeId, 'FINISHED', {
          version: state.version,
          refreshVersion: true,
          patch: { skip: true },
        })
        await this.#core.forkProcesses(tx, after, process, node.id, args.convergeGatewayId, targets)
      })
      return ok(null)
    })
  }

  /** Fails a running activity at once; its late result is discarded. */
  forcedFailActivity(args: {
    nodeId: string
    exData?: string
    sendPostSetStateSignal?: boolean
  }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx, after) => {
        const node = await this.#node(tx, args.nodeId)
        if (node.type !== 'ServiceActivity') {
          throw new InvalidOperationError(`${args.nodeId} is not activity, actual: ${node.type}`)
        }
        const state = await this.#state(tx, args.nodeId)
        if (state.name !== 'RUNNING') {
          throw new InvalidOperationError(
            `${args.nodeId} state is not RUNNING, actual: ${state.name}`,
          )
        }
        const processes = await tx.findProcesses({ currentNodeId: args.nodeId })
        if (processes.length === 0) {
          throw new NotFoundError(`can not find process with current node id: ${args.nodeId}`)
        }
        await this.#core.forceFail(tx, node, state, args.exData ?? '', {
          silent: args.sendPostSetStateSignal === false,
          after,
        })
      })
      return ok(null)
    })
  }

  /** Sends callback data to a node waiting at `version`. */
  callback(args: {
    nodeId: string
    version: string
    data?: unknown
  }): Promise<EngineAPIResult<null>> {
    return guard(async () => {
      await this.#core.step(async (tx, after) => {
        const process = await this.#parkedProcess(tx, args.nodeId)
        // A version the node is not at is a wrong state, as the Python engine's
        // InvalidOperationError says: the same refusal on every surface.
        const schedule = await tx.findSchedule(args.nodeId, args.version)
        if (!schedule) throw new InvalidOperationError(`node version ${args.version} not exist`)
        const state = await this.#state(tx, args.nodeId)
        if (state.version !== args.version) {
          await tx.updateSchedule(schedule.id, { expired: true })
          throw new InvalidOperationError(`node version ${args.version} not exist`)
        }
        if (schedule.finished) throw new InvalidOperationError('schedule is already finished')
        if (schedule.expired) throw new InvalidOperationError('schedule is already expired')
        if (schedule.type === 'poll')
          throw new InvalidOperationError(`node(${args.nodeId}) does not wait for a callback`)
        // A node that waits for one callback takes one: its id is fixed, so that of two sent at
        // once the second is refused rather than accepted and never applied.
        const added = await tx.addCallback({
          id:
            schedule.type === 'callback'
              ? `callback-${schedule.id}`
              : this.#core.deps.ids.next('callback'),
          scheduleId: schedule.id,
          nodeId: args.nodeId,
          version: args.version,
          data: args.data ?? {},
          consumed: false,
        })
        if (!added) {
          throw new InvalidOperationError(
            `node(${args.nodeId}) has already been called back at version ${args.version}`,
          )
        }
        after.push(() =>
          this.#core.deps.dispatcher.schedule(process.id, args.nodeId, schedule.id, 0),
        )
      })
      return ok(null)
    })
  }

  /** The state tree of a root pipeline; `{}` when it has none. */
  getPipelineStates(args: { rootId: string; flatChildren?: boolean }) {
    return guard(async () => {
      const states = await this.#runtime.getStatesByRoot(args.rootId)
      return ok(stateTree(args.rootId, states, args.flatChildren ?? true))
    })
  }

  /** A node's state with the states whose parent it is. */
  getChildrenStates(args: { nodeId: string }) {
    return guard(async () => {
      const state = await this.#runtime.getState(args.nodeId)
      if (!state) return ok({})
      const entry = stateEntry(state)
      for (const child of await this.#runtime.getStatesByParent(args.nodeId)) {
        entry.children[child.nodeId] = stateEntry(child)
      }
      return ok({ [args.nodeId]: entry })
    })
  }

  /** A node's inputs as last run; `{}` when it has not run. */
  getExecutionDataInputs(args: { nodeId: string }) {
    return guard(async () =>
      ok(cloneJson((await this.#runtime.getExecutionData(args.nodeId))?.inputs ?? {})),
    )
  }

  /** A node's outputs as last run; `{}` when it has not run. */
  getExecutionDataOutputs(args: { nodeId: string }) {
    return guard(async () =>
      ok(cloneJson((await this.#runtime.getExecutionData(args.nodeId))?.outputs ?? {})),
    )
  }

  /** A node's inputs and outputs as last run. */
  getExecutionData(args: { nodeId: string }) {
    return guard(async () => {
      const data = await this.#runtime.getExecutionData(args.nodeId)
      if (!data) throw new NotFoundError(`execution data of node(${args.nodeId}) does not exist`)
      return ok(cloneJson({ inputs: data.inputs, outputs: data.outputs }))
    })
  }

  /**
   * What a pipeline's run holds, for debugging: its context values (`{ type, value, code? }` by
   * `${key}`) and every process of its root, as the Python engine's `get_pipeline_debug_info`.
   */
  getPipelineDebugInfo(args: { pipelineId: string }) {
    return guard(async () => {
      const state = await this.#runtime.getState(args.pipelineId)
      if (!state) throw new NotFoundError(`pipeline(${args.pipelineId}) does not exist`)
      const context = await this.#runtime.getContext(args.pipelineId)
      const contextValues = Object.fromEntries(
        Object.entries(context).map(([key, value]) => [
          key,
          {
            type: value.type,
            value: value.value,
            ...(value.customType ? { code: value.customType } : {}),
          },
        ]),
      )
      const rootId = state.rootId || args.pipelineId
      const processes = [
        ...(await this.#runtime.findProcesses({ rootPipelineId: rootId })),
        ...(await this.#runtime.findProcesses({ rootPipelineId: rootId, dead: true })),
      ].map((process) => ({
        id: process.id,
        root_pipeline_id: process.rootPipelineId,
        parent_id: process.parentId,
        destination_id: process.destinationId,
        current_node_id: process.currentNodeId,
        pipeline_stack: process.pipelineStack,
        asleep: process.asleep,
        suspended: process.suspended,
        suspended_by: process.suspendedBy,
        dead: process.dead,
        ack_num: process.ackNum,
        need_ack: process.needAck,
      }))
      return ok(cloneJson({ context_values: contextValues, processes }))
    })
  }

  /** A node's configured inputs (`need_render`, `value`) and output map. */
  getData(args: { nodeId: string }) {
    return guard(async () => {
      const data = await this.#runtime.getData(args.nodeId)
      if (!data) throw new NotFoundError(`data of node(${args.nodeId}) does not exist`)
      const inputs = Object.fromEntries(
        Object.entries(data.inputs).map(([k, v]) => [
          k,
          { need_render: v.needRender, value: v.value },
        ]),
      )
      const outputs = Object.fromEntries(
        Object.entries(data.outputs).map(([k, v]) => [k, v.length === 1 ? v[0] : v]),
      )
      return ok(cloneJson({ inputs, outputs }))
    })
  }

  async #histories(nodeId: string, loop: number, short: boolean) {
    const histories = await this.#runtime.getHistories(nodeId)
    return histories
      .filter((h) => loop === -1 || h.loop === loop)
      .map((h) => historyEntry(h, short))
  }

  /** A node's archived runs; `loop` -1 for all. */
  getNodeHistories(args: { nodeId: string; loop?: number }) {
    return guard(async () => ok(await this.#histories(args.nodeId, args.loop ?? -1, false)))
  }

  /** A node's archived runs without their data. */
  getNodeShortHistories(args: { nodeId: string; loop?: number }) {
    return guard(async () => ok(await this.#histories(args.nodeId, args.loop ?? -1, true)))
  }

  async #executionTime(id: string) {
    const state = await this.#runtime.getState(id)
    if (!state) throw new NotFoundError(`node(${id}) does not exist`)
    const end = state.archivedTime ?? this.#core.deps.clock.now()
    const start = state.startedTime ?? state.createdTime
    return {
      state: state.name,
      start_time: new Date(start),
      archived_time: state.archivedTime === null ? null : new Date(state.archivedTime),
      execution_time: Math.max(0, end - start) / 1000,
    }
  }

  /** How long a pipeline has run (until now if it has not ended), in seconds. */
  getPipelineExecutionTime(args: { pipelineId: string }) {
    return guard(async () => ok(await this.#executionTime(args.pipelineId)))
  }

  /** How long a node has run (until now if it has not ended), in seconds. */
  getNodeExecutionTime(args: { nodeId: string }) {
    return guard(async () => ok(await this.#executionTime(args.nodeId)))
  }

  /** Overwrites context values of a pipeline (plain values, keyed `${key}` or `key`). */
  updateContextValues(args: { pipelineId: string; contextValues: Record<string, unknown> }) {
    return guard(async () => {
      const state = await this.#runtime.getState(args.pipelineId)
      if (!state) throw new NotFoundError(`pipeline(${args.pipelineId}) does not exist`)
      if (typeof args.contextValues !== 'object' || args.contextValues === null) {
        throw new InvalidOperationError('context_values must be an object')
      }
      const values: Record<string, ContextValue> = {}
      for (const [key, value] of Object.entries(args.contextValues)) {
        values[formatKey(bareKey(key))] = { type: 'plain', value }
      }
      await this.#runtime.upsertContext(args.pipelineId, values)
      return ok(null)
    })
  }

  /** Renders a node's inputs (or a subprocess's parameters) from a tree, without running it. */
  previewNodeInputs(args: PreviewNodeInputsArgs) {
    return guard(async () => {
      // A readable tree is previewed even if it would not pass every rule of `run_pipeline`.
      const unreadable = checkTreeReadable(args.pipeline)
      if (unreadable.length > 0) {
        const exc = new TreeInvalidEngineError(unreadable)
        return { result: false, message: exc.message, exc, data: null }
      }
      const tree = toEngineTree(args.pipeline)
      const prepared = preparePipeline(tree)
      const nodes = new Map(prepared.nodes.map((n) => [n.id, n]))
      const data = new Map(prepared.data)
      const contexts = new Map(prepared.contexts)
      const node = nodes.get(args.nodeId)
      if (!node) throw new NotFoundError(`node(${args.nodeId}) does not exist`)
      if (node.type !== 'ServiceActivity' && node.type !== 'SubProcess') {
        throw new InvalidOperationError(`can not preview inputs for node type: ${node.type}`)
      }
      const components = this.#core.deps.components
      const lazy = components.lazy
        ? (code: string, value: unknown) =>
            components.lazy!(code, value, {
              pipelineData: args.rootPipelineData ?? {},
              innerLoop: 1,
            })
        : undefined
      let params: Record<string, unknown> = args.parentParams ?? {}
      for (const subId of args.subprocessStack ?? []) {
        const sub = nodes.get(subId)
        if (sub?.type !== 'SubProcess')
          throw new NotFoundError(`subprocess(${subId}) does not exist`)
        const parentContext = { ...(contexts.get(sub.pipelineId) ?? {}) }
        for (const [key, value] of Object.entries(params))
          parentContext[formatKey(bareKey(key))] = { type: 'plain', value }
        params = await renderInputs(data.get(subId)?.inputs ?? {}, parentContext, lazy)
      }
      const context = { ...(contexts.get(node.pipelineId) ?? {}) }
      for (const [key, value] of Object.entries(params))
        context[formatKey(bareKey(key))] = { type: 'plain', value }
      return ok(await renderInputs(data.get(node.id)?.inputs ?? {}, context, lazy))
    })
  }
}
