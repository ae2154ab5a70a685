import type { Engine, EngineAPIResult, NodeRecord, StateRecord } from '@culm/engine'
import type { PipelineTree } from '@culm/tree'
import { assertEngineType } from '../engine-types.js'
import { codeOf, ServerError, type ServerErrorCode } from '../errors.js'
import { isoTime } from '../json.js'
import type { PipelineRegistry } from '../pipelines.js'

/** The older engine's `ActionResult`, with the server code that decides the HTTP status. */
export interface ActionResult<T = undefined> {
  result: boolean
  message: string
  data?: T
  code?: ServerErrorCode
}

/** A node of the older engine's status tree (`get_status_tree`). */
export interface LegacyStatus {
  id: string
  state: string
  name: string
  retry: number
  loop: number
  skip: boolean
  error_ignorable: boolean
  created_time: string | null
  started_time: string | null
  archived_time: string | null
  state_refresh_at: string | null
  version: string
  elapsed_time: number
  children: Record<string, LegacyStatus>
}

/** A history entry of the older engine (`get_activity_histories`). */
export interface LegacyHistory {
  history_id: number
  started_time: string | null
  archived_time: string | null
  elapsed_time: number
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
  ex_data: unknown
  loop: number
  skip: boolean
}

const NOT_EXECUTED = 'node not exists or not be executed yet'

/** The class names the older engine shows as a status's `name`. */
const CLASS_NAMES: Record<string, string> = {
  ServiceActivity: 'pipeline.core.flow.activity.ServiceActivity',
  SubProcess: 'pipeline.core.flow.activity.SubProcess',
  EmptyStartEvent: 'pipeline.core.flow.event.EmptyStartEvent',
  EmptyEndEvent: 'pipeline.core.flow.event.EmptyEndEvent',
  ExclusiveGateway: 'pipeline.core.flow.gateway.ExclusiveGateway',
  ParallelGateway: 'pipeline.core.flow.gateway.ParallelGateway',
  ConditionalParallelGateway: 'pipeline.core.flow.gateway.ConditionalParallelGateway',
  ConvergeGateway: 'pipeline.core.flow.gateway.ConvergeGateway',
}

function className(node: NodeRecord | undefined): string {
  if (!node) return "<class 'pipeline.core.pipeline.Pipeline'>"
  return `<class '${CLASS_NAMES[node.type] ?? 'pipeline.core.flow.event.ExecutableEndEvent'}'>`
}

/** Seconds between start and end (or now), whole, as the older engine's `calculate_elapsed_time`. */
function elapsed(started: number | null, archived: number | null, now: number): number {
  if (started === null) return 0
  return Math.max(0, Math.round(((archived ?? now) - started) / 1000))
}

function fromEngine<T>(answer: EngineAPIResult, data?: T): ActionResult<T> {
  if (answer.result) return data === undefined ? ok() : { ...ok(), data }
  return { result: false, message: answer.message, code: codeOf(answer.exc) }
}

function ok(): ActionResult<never> {
  return { result: true, message: 'success' }
}

function refuse(code: ServerErrorCode, message: string): ActionResult<never> {
  return { result: false, message, code }
}

/** Splits `ex_data` out of a node's outputs, as the older engine keeps it apart. */
function splitOutputs(outputs: Record<string, unknown> | undefined): {
  outputs: Record<string, unknown>
  ex_data: unknown
} {
  const { ex_data: exData = null, ...rest } = outputs ?? {}
  return { outputs: rest, ex_data: exData }
}

/**
 * The older `pipeline_engine` API (`pipeline.engine.api`), served by the same engine core: each
 * call maps onto the bamboo engine's operation and answers in the older shapes.
 */
export class LegacyEngine {
  #engine: Engine
  #pipelines: PipelineRegistry
  #now: () => number

  constructor(engine: Engine, pipelines: PipelineRegistry, now: () => number = Date.now) {
    this.#engine = engine
    this.#pipelines = pipelines
    this.#now = now
  }

  get #runtime() {
    return this.#engine.runtime
  }

  async #guard<T>(id: string, fn: () => Promise<ActionResult<T>>): Promise<ActionResult<T>> {
    try {
      await assertEngineType(this.#runtime, this.#pipelines, id, 'pipeline_engine')
      return await fn()
    } catch (error) {
      if (error instanceof ServerError) return refuse(error.code, error.message)
      throw error
    }
  }

  async #executed(nodeId: string): Promise<StateRecord | undefined> {
    return this.#runtime.getState(nodeId)
  }

  /** `start_pipeline`: validates and runs a tree; the pipeline is recorded as a pipeline_engine one. */
  async startPipeline(
    args: { pipeline: PipelineTree; rootPipelineData?: Record<string, unknown> },
    userId: number | null,
  ): Promise<ActionResult> {
    const answer = await this.#engine.api.runPipeline({
      pipeline: args.pipeline,
      ...(args.rootPipelineData ? { rootPipelineData: args.rootPipelineData } : {}),
    })
    if (answer.result) {
      await this.#pipelines.record(answer.data!.pipeline_id, 'pipeline_engine', userId)
    }
    return fromEngine(answer)
  }

  pausePipeline(pipelineId: string): Promise<ActionResult> {
    return this.#guard(pipelineId, async () =>
      fromEngine(await this.#engine.api.pausePipeline({ pipelineId })),
    )
  }

  resumePipeline(pipelineId: string): Promise<ActionResult> {
    return this.#guard(pipelineId, async () => {
      if (!(await this.#executed(pipelineId))) {
        return refuse('NOT_FOUND', 'only started pipeline can be resumed.')
      }
      return fromEngine(await this.#engine.api.resumePipeline({ pipelineId }))
    })
  }

  revokePipeline(pipelineId: string): Promise<ActionResult> {
    return this.#guard(pipelineId, async () => {
      const state = await this.#executed(pipelineId)
      if (!state || state.rootId !== pipelineId) {
        return refuse('NOT_FOUND', 'pipeline to be revoked does not exist.')
      }
      return fromEngine(await this.#engine.api.revokePipeline({ pipelineId }))
    })
  }

  /** Culm's own: dispatches again the stalled work of a RUNNING pipeline (see `redispatchPipeline`). */
  redispatchPipeline(pipelineId: string): Promise<ActionResult<unknown>> {
    return this.#guard(pipelineId, async () => {
      const answer = await this.#engine.api.redispatchPipeline({ pipelineId })
      return fromEngine(answer, answer.data)
    })
  }

  /** Appoints a pause at a node; on a subprocess node it pauses the subprocess, as the older engine did. */
  pauseNodeAppointment(nodeId: string): Promise<ActionResult> {
    return this.#guard(nodeId, async () => {
      const node = await this.#runtime.getNode(nodeId)
      if (node?.type === 'SubProcess') {
        return fromEngine(await this.#engine.api.pausePipeline({ pipelineId: nodeId }))
      }
      return fromEngine(await this.#engine.api.pauseNodeAppoint({ nodeId }))
    })
  }

  /** Lifts an appointed pause, also the pause of a subprocess node. */
  resumeNodeAppointment(nodeId: string): Promise<ActionResult> {
    return this.#guard(nodeId, async () => {
      if (!(await this.#executed(nodeId))) return refuse('NOT_FOUND', NOT_EXECUTED)
      const node = await this.#runtime.getNode(nodeId)
      if (node?.type === 'SubProcess') {
        return fromEngine(await this.#engine.api.resumePipeline({ pipelineId: nodeId }))
      }
      return fromEngine(await this.#engine.api.resumeNodeAppoint({ nodeId }))
    })
  }

  retryNode(nodeId: string, inputs?: Record<string, unknown> | null): Promise<ActionResult> {
    return this.#guard(nodeId, async () => {
      if (!(await this.#executed(nodeId))) return refuse('NOT_FOUND', NOT_EXECUTED)
      const node = await this.#runtime.getNode(nodeId)
      if (node?.type !== 'ServiceActivity' && node?.type !== 'ParallelGateway') {
        return refuse('CONFLICT', "can't retry this type of node")
      }
      if (!node.canRetry) {
        return refuse('CONFLICT', 'the node is set to not be retryable, try skip it please.')
      }
      return fromEngine(
        await this.#engine.api.retryNode({ nodeId, ...(inputs ? { data: inputs } : {}) }),
      )
    })
  }

  skipNode(nodeId: string): Promise<ActionResult> {
    return this.#guard(nodeId, async () => {
      if (!(await this.#executed(nodeId))) return refuse('NOT_FOUND', NOT_EXECUTED)
      const node = await this.#runtime.getNode(nodeId)
      if (node?.type !== 'ServiceActivity')
        return refuse('CONFLICT', "can't skip this type of node")
      if (!node.canSkip) {
        return refuse('CONFLICT', 'this node is set to not be skippable, try retry it please.')
      }
      // The older engine's skip copies the node's outputs into the context.
      return fromEngine(await this.#engine.api.skipNode({ nodeId, extractOutputs: true }))
    })
  }

  skipExclusiveGateway(nodeId: string, flowId: string): Promise<ActionResult> {
    return this.#guard(nodeId, async () => {
      if (!(await this.#executed(nodeId))) return refuse('NOT_FOUND', NOT_EXECUTED)
      const node = await this.#runtime.getNode(nodeId)
      if (node?.type !== 'ExclusiveGateway') {
        return refuse('CONFLICT', 'invalid operation, this node is not a exclusive gateway')
      }
      return fromEngine(await this.#engine.api.skipExclusiveGateway({ nodeId, flowId }))
    })
  }

  skipConditionalParallelGateway(
    nodeId: string,
    flowIds: string[],
    convergeGatewayId: string,
  ): Promise<ActionResult> {
    return this.#guard(nodeId, async () => {
      if (!(await this.#executed(nodeId))) return refuse('NOT_FOUND', NOT_EXECUTED)
      const node = await this.#runtime.getNode(nodeId)
      if (node?.type !== 'ConditionalParallelGateway') {
        return refuse(
          'CONFLICT',
          'invalid operation, this node is not a conditional parallel gateway',
        )
      }
      return fromEngine(
        await this.#engine.api.skipConditionalParallelGateway({
          nodeId,
          flowIds,
          convergeGatewayId,
        }),
      )
    })
  }

  forcedFail(nodeId: string, exData = ''): Promise<ActionResult> {
    return this.#guard(nodeId, async () => {
      if (!(await this.#executed(nodeId))) return refuse('NOT_FOUND', NOT_EXECUTED)
      const node = await this.#runtime.getNode(nodeId)
      if (node?.type !== 'ServiceActivity') {
        return refuse('CONFLICT', "can't not forced fail this type of node")
      }
      return fromEngine(await this.#engine.api.forcedFailActivity({ nodeId, exData }))
    })
  }

  /** `activity_callback`: calls back the node at its current version (or refuses another `version`). */
  activityCallback(
    activityId: string,
    callbackData: unknown,
    version?: string,
  ): Promise<ActionResult> {
    return this.#guard(activityId, async () => {
      const state = await this.#executed(activityId)
      if (!state) return refuse('NOT_FOUND', NOT_EXECUTED)
      if (version !== undefined && version !== state.version) {
        return refuse('CONFLICT', `node version ${version} not exist`)
      }
      return fromEngine(
        await this.#engine.api.callback({
          nodeId: activityId,
          version: state.version,
          data: callbackData ?? {},
        }),
      )
    })
  }

  /** `get_status_tree`: a node's status with its descendants down to `maxDepth` levels. */
  async getStatusTree(nodeId: string, maxDepth = 1): Promise<ActionResult<LegacyStatus>> {
    const state = await this.#runtime.getState(nodeId)
    if (!state) {
      return refuse(
        'NOT_FOUND',
        `node(${nodeId}) does not exist, may have not by executed or expired`,
      )
    }
    const all = await this.#runtime.getStatesByRoot(state.rootId || state.nodeId)
    const byParent = new Map<string, StateRecord[]>()
    for (const s of all) {
      if (s.nodeId === s.rootId) continue
      const list = byParent.get(s.parentId) ?? []
      list.push(s)
      byParent.set(s.parentId, list)
    }
    const descendants = (id: string): StateRecord[] =>
      (byParent.get(id) ?? []).flatMap((child) => [child, ...descendants(child.nodeId)])
    const now = this.#now()
    const build = async (s: StateRecord, depth: number): Promise<LegacyStatus> => {
      const node = s.nodeId === s.rootId ? undefined : await this.#runtime.getNode(s.nodeId)
      const children: Record<string, LegacyStatus> = {}
      if (depth < maxDepth) {
        for (const child of byParent.get(s.nodeId) ?? []) {
          children[child.nodeId] = await build(child, depth + 1)
        }
      }
      return {
        id: s.nodeId,
        state: legacyState(s, node, descendants, (id) => byParent.has(id)),
        name: className(node),
        retry: s.retry,
        loop: s.loop,
        skip: s.skip,
        error_ignorable: s.errorIgnored,
        created_time: isoTime(s.createdTime),
        started_time: isoTime(s.startedTime),
        archived_time: isoTime(s.archivedTime),
        state_refresh_at: isoTime(s.archivedTime ?? s.startedTime ?? s.createdTime),
        version: s.version,
        elapsed_time: elapsed(s.startedTime, s.archivedTime, now),
        children,
      }
    }
    return { ...ok(), data: await build(state, 0) }
  }

  /** `get_inputs`: a node's inputs as last run. */
  async getInputs(nodeId: string): Promise<ActionResult<Record<string, unknown>>> {
    const data = await this.#runtime.getExecutionData(nodeId)
    if (!data) return refuse('NOT_FOUND', NOT_EXECUTED)
    return { ...ok(), data: data.inputs }
  }

  /** `get_outputs`: `{ outputs, ex_data }` of a node as last run. */
  async getOutputs(
    nodeId: string,
  ): Promise<ActionResult<{ outputs: Record<string, unknown>; ex_data: unknown }>> {
    const data = await this.#runtime.getExecutionData(nodeId)
    if (!data) return refuse('NOT_FOUND', NOT_EXECUTED)
    return { ...ok(), data: splitOutputs(data.outputs) }
  }

  /** `get_batch_outputs`: `{ outputs, ex_data }` of every node of the list that has run. */
  async getBatchOutputs(
    nodeIds: string[],
  ): Promise<ActionResult<Record<string, { outputs: Record<string, unknown>; ex_data: unknown }>>> {
    const out: Record<string, { outputs: Record<string, unknown>; ex_data: unknown }> = {}
    for (const id of nodeIds) {
      const data = await this.#runtime.getExecutionData(id)
      if (data) out[id] = splitOutputs(data.outputs)
    }
    return { ...ok(), data: out }
  }

  /** `get_activity_histories`: a node's archived runs, of one loop or all. */
  async getActivityHistories(
    nodeId: string,
    loop?: number | null,
  ): Promise<ActionResult<LegacyHistory[]>> {
    const now = this.#now()
    const histories = (await this.#runtime.getHistories(nodeId))
      .filter((h) => loop === undefined || loop === null || h.loop === loop)
      .map((h) => {
        const { outputs, ex_data } = splitOutputs(h.outputs)
        return {
          history_id: h.id,
          started_time: isoTime(h.startedTime),
          archived_time: isoTime(h.archivedTime),
          elapsed_time: elapsed(h.startedTime, h.archivedTime, now),
          inputs: h.inputs,
          outputs,
          ex_data,
          loop: h.loop,
          skip: h.skip,
        }
      })
    return { ...ok(), data: histories }
  }
}

/**
 * A state as the older engine names it: LOOP_READY is READY, and a running (sub)pipeline whose
 * nodes include a failed one and no running one is BLOCKED.
 */
function legacyState(
  s: StateRecord,
  node: NodeRecord | undefined,
  descendants: (id: string) => StateRecord[],
  hasChildren: (id: string) => boolean,
): string {
  if (s.name === 'LOOP_READY') return 'READY'
  const isPipeline = node === undefined || node.type === 'SubProcess'
  if (isPipeline && s.name === 'RUNNING') {
    const below = descendants(s.nodeId)
    const running = below.some((d) => d.name === 'RUNNING' && !hasChildren(d.nodeId))
    if (!running && below.some((d) => d.name === 'FAILED')) {
      return 'BLOCKED'
    }
  }
  return s.name
}
