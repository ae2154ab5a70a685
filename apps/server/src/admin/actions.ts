import type { Engine, EngineAPIResult } from '@culm/engine'
import { assertEngineType } from '../engine-types.js'
import { assertNever, codeOf, HTTP_STATUS, ServerError } from '../errors.js'
import { errorText, toJson } from '../json.js'
import type { ActionResult, LegacyEngine } from '../legacy/adapter.js'
import type { EngineType, PipelineRegistry } from '../pipelines.js'

/**
 * The nine actions of the engine admin API (`000_*`), and Culm's `task_redispatch`: the work of a
 * RUNNING task that nothing moves on (a step that gave up, a lost timer) dispatched again.
 */
export const ADMIN_ACTIONS = [
  'task_pause',
  'task_resume',
  'task_revoke',
  'task_redispatch',
  'node_retry',
  'node_skip',
  'node_callback',
  'node_skip_exg',
  'node_skip_cpg',
  'node_forced_fail',
] as const
/** One of `ADMIN_ACTIONS`. */
export type AdminAction = (typeof ADMIN_ACTIONS)[number]

/** The read views the admin surface serves for the console. */
export const ADMIN_VIEWS = ['state_tree', 'node_data', 'node_histories'] as const
/** One of `ADMIN_VIEWS`. */
export type AdminView = (typeof ADMIN_VIEWS)[number]

/** The body of an admin action (each action reads its own fields). */
export interface AdminActionBody {
  inputs?: Record<string, unknown> | null
  data?: unknown
  version?: string
  flow_id?: string
  flow_ids?: string[]
  converge_gateway_id?: string
}

/** An admin answer: the JSON body in the engine type's shape, and the HTTP status. */
export interface AdminAnswer {
  status: number
  body: Record<string, unknown>
}

/** The `ex_data` a forced failure through the admin API records. */
export const FORCED_FAIL_EX_DATA = 'force fail by engine_admin'

/** The admin actions and views of one engine type (`EngineAdapter` of ENGINE.md §7). */
export interface EngineAdapter {
  act(action: AdminAction, instanceId: string, body: AdminActionBody): Promise<AdminAnswer>
  view(view: AdminView, instanceId: string): Promise<AdminAnswer>
}

function bambooAnswer(result: EngineAPIResult): AdminAnswer {
  return {
    status: result.result ? 200 : HTTP_STATUS[codeOf(result.exc)],
    body: {
      result: result.result,
      message: result.message,
      data: toJson(result.data ?? null),
      exc: result.exc ? errorText(result.exc) : null,
      exc_trace: result.exc?.stack ?? null,
    },
  }
}

/** The bamboo engine's admin actions: `{ result, message, data, exc, exc_trace }` answers. */
export class BambooAdmin implements EngineAdapter {
  #engine: Engine
  #pipelines: PipelineRegistry

  constructor(engine: Engine, pipelines: PipelineRegistry) {
    this.#engine = engine
    this.#pipelines = pipelines
  }

  async act(action: AdminAction, id: string, body: AdminActionBody): Promise<AdminAnswer> {
    try {
      await assertEngineType(this.#engine.runtime, this.#pipelines, id, 'bamboo_engine')
    } catch (error) {
      if (!(error instanceof ServerError)) throw error
      return bambooAnswer({ result: false, message: error.message, exc: error, data: null })
    }
    return bambooAnswer(await this.#act(action, id, body))
  }

  async #act(action: AdminAction, id: string, body: AdminActionBody): Promise<EngineAPIResult> {
    const api = this.#engine.api
    switch (action) {
      case 'task_pause':
        return api.pausePipeline({ pipelineId: id })
      case 'task_resume':
        return api.resumePipeline({ pipelineId: id })
      case 'task_revoke':
        return api.revokePipeline({ pipelineId: id })
      case 'task_redispatch':
        return api.redispatchPipeline({ pipelineId: id })
      case 'node_retry': {
        const data = await api.getData({ nodeId: id })
        if (!data.result) return data
        return api.retryNode({ nodeId: id, ...(body.inputs ? { data: body.inputs } : {}) })
      }
      case 'node_skip':
        return api.skipNode({ nodeId: id })
      case 'node_callback': {
        let version = body.version
        if (version === undefined) {
          const state = await this.#engine.runtime.getState(id)
          if (!state) {
            return {
              result: false,
              message: `node(${id}) does not exist`,
              exc: new ServerError('NOT_FOUND', `node(${id}) does not exist`),
              data: null,
            }
          }
          version = state.version
        }
        return api.callback({ nodeId: id, version, data: body.data ?? {} })
      }
      case 'node_skip_exg':
        return api.skipExclusiveGateway({ nodeId: id, flowId: body.flow_id ?? '' })
      case 'node_skip_cpg':
        return api.skipConditionalParallelGateway({
          nodeId: id,
          flowIds: body.flow_ids ?? [],
          convergeGatewayId: body.converge_gateway_id ?? '',
        })
      case 'node_forced_fail':
        return api.forcedFailActivity({
          nodeId: id,
          exData: FORCED_FAIL_EX_DATA,
          sendPostSetStateSignal: false,
        })
      default:
        return assertNever(action)
    }
  }

  async view(view: AdminView, id: string): Promise<AdminAnswer> {
    const api = this.#engine.api
    switch (view) {
      case 'state_tree':
        return bambooAnswer(await api.getPipelineStates({ rootId: id, flatChildren: false }))
      case 'node_data': {
        const [inputs, outputs, data] = await Promise.all([
          api.getExecutionDataInputs({ nodeId: id }),
          api.getExecutionDataOutputs({ nodeId: id }),
          api.getData({ nodeId: id }),
        ])
        if (!data.result) return bambooAnswer(data)
        return bambooAnswer({
          result: true,
          message: 'success',
          data: { inputs: inputs.data, outputs: outputs.data, data: data.data },
        })
      }
      case 'node_histories':
        return bambooAnswer(await api.getNodeHistories({ nodeId: id }))
      default:
        return assertNever(view)
    }
  }
}

function legacyAdminAnswer(answer: ActionResult<unknown>, withData = false): AdminAnswer {
  return {
    status: answer.result ? 200 : HTTP_STATUS[answer.code ?? 'CONFLICT'],
    body: {
      result: answer.result,
      message: answer.message,
      data: withData && answer.result ? toJson(answer.data ?? null) : null,
    },
  }
}

/** The older engine's admin actions: `{ result, message, data: null }` answers. */
export class LegacyAdmin implements EngineAdapter {
  #legacy: LegacyEngine

  constructor(legacy: LegacyEngine) {
    this.#legacy = legacy
  }

  async act(action: AdminAction, id: string, body: AdminActionBody): Promise<AdminAnswer> {
    const l = this.#legacy
    switch (action) {
      case 'task_pause':
        return legacyAdminAnswer(await l.pausePipeline(id))
      case 'task_resume':
        return legacyAdminAnswer(await l.resumePipeline(id))
      case 'task_revoke':
        return legacyAdminAnswer(await l.revokePipeline(id))
      case 'task_redispatch':
        return legacyAdminAnswer(await l.redispatchPipeline(id), true)
      case 'node_retry':
        return legacyAdminAnswer(await l.retryNode(id, body.inputs))
      case 'node_skip':
        return legacyAdminAnswer(await l.skipNode(id))
      case 'node_callback':
        return legacyAdminAnswer(await l.activityCallback(id, body.data, body.version))
      case 'node_skip_exg':
        return legacyAdminAnswer(await l.skipExclusiveGateway(id, body.flow_id ?? ''))
      case 'node_skip_cpg':
        return legacyAdminAnswer(
          await l.skipConditionalParallelGateway(
            id,
            body.flow_ids ?? [],
            body.converge_gateway_id ?? '',
          ),
        )
      case 'node_forced_fail':
        return legacyAdminAnswer(await l.forcedFail(id, FORCED_FAIL_EX_DATA))
      default:
        return assertNever(action)
    }
  }

  async view(view: AdminView, id: string): Promise<AdminAnswer> {
    const l = this.#legacy
    switch (view) {
      case 'state_tree':
        return legacyAdminAnswer(await l.getStatusTree(id, 100), true)
      case 'node_data': {
        const inputs = await l.getInputs(id)
        if (!inputs.result) return legacyAdminAnswer(inputs)
        const outputs = await l.getOutputs(id)
        return legacyAdminAnswer(
          { ...outputs, data: { inputs: inputs.data, ...(outputs.data ?? {}) } },
          true,
        )
      }
      case 'node_histories':
        return legacyAdminAnswer(await l.getActivityHistories(id), true)
      default:
        return assertNever(view)
    }
  }
}

/** The adapter of each engine type. */
export function adminAdapters(
  engine: Engine,
  pipelines: PipelineRegistry,
  legacy: LegacyEngine,
): Record<EngineType, EngineAdapter> {
  return {
    bamboo_engine: new BambooAdmin(engine, pipelines),
    pipeline_engine: new LegacyAdmin(legacy),
  }
}
