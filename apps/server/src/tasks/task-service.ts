import {
  type ComponentRunner,
  componentLookup,
  type Engine,
  type EngineAPIResult,
  type StateRecord,
} from '@culm/engine'
import { type PipelineTree, replaceIds, uniqueId, validateTree } from '@culm/tree'
import type { App } from '../apigw/apps.js'
import type { User, UserStore } from '../auth/users.js'
import { codeOf, ServerError } from '../errors.js'
import { isoTime, toJson } from '../json.js'
import type { ActionResult, LegacyEngine } from '../legacy/adapter.js'
import type { EngineType, PipelineRegistry } from '../pipelines.js'
import type { Project } from '../projects/projects.js'
import { overrideConstants } from './constants.js'
import type { FlowType, Task, TaskCategory, TaskFilter, TaskInfo, TaskStore } from './task-store.js'

/** Who calls: the user and the app. */
export interface Caller {
  user: User
  app: App
}

/** The fields of `fast_create_task` beside the project. */
export interface CreateTaskInput {
  name: string
  pipeline_tree: Record<string, unknown>
  description?: string | undefined
  category?: TaskCategory | undefined
  flow_type?: FlowType | undefined
  engine_type?: EngineType | undefined
  constants?: Record<string, unknown> | undefined
}

/** The actions of `operate_task`. */
export const TASK_ACTIONS = ['start', 'pause', 'resume', 'revoke'] as const
/** One of `TASK_ACTIONS`. */
export type TaskAction = (typeof TASK_ACTIONS)[number]

/** The actions of `operate_node`. */
export const NODE_ACTIONS = [
  'retry',
  'skip',
  'callback',
  'skip_exg',
  'skip_cpg',
  'forced_fail',
] as const
/** One of `NODE_ACTIONS`. */
export type NodeAction = (typeof NODE_ACTIONS)[number]

/** The fields of `operate_node`. */
export interface OperateNodeInput {
  node_id: string
  action: NodeAction
  data?: unknown
  inputs?: Record<string, unknown> | undefined
  flow_id?: string | undefined
  flow_ids?: string[] | undefined
  converge_gateway_id?: string | undefined
  ex_data?: string | undefined
}

/** The state a task shows before it starts. */
export const CREATED = 'CREATED'

interface TreeNode {
  name: string
  type: string
  componentCode: string | undefined
}

/** Every node of a tree and its subprocess trees, by id. */
function treeNodes(tree: PipelineTree, into = new Map<string, TreeNode>()): Map<string, TreeNode> {
  const add = (id: string, name: unknown, type: string, code?: unknown) =>
    into.set(id, {
      name: typeof name === 'string' ? name : '',
      type,
      componentCode: typeof code === 'string' ? code : undefined,
    })
  add(tree.start_event.id, tree.start_event.name, tree.start_event.type)
  add(tree.end_event.id, tree.end_event.name, tree.end_event.type)
  for (const gateway of Object.values(tree.gateways ?? {}))
    add(gateway.id, gateway.name, gateway.type)
  for (const activity of Object.values(tree.activities ?? {})) {
    const code = activity.type === 'ServiceActivity' ? activity.component?.code : undefined
    add(activity.id, activity.name, activity.type, code)
    if (activity.type === 'SubProcess') treeNodes(activity.pipeline, into)
  }
  return into
}

function refused(result: EngineAPIResult): ServerError {
  return new ServerError(codeOf(result.exc), result.message, { cause: result.exc })
}

function legacyRefused(result: ActionResult<unknown>): ServerError {
  return new ServerError(result.code ?? 'CONFLICT', result.message)
}

/** The task API over the engine: creation, start, control, reads and the operation log. */
export class TaskService {
  #engine: Engine
  #legacy: LegacyEngine
  #pipelines: PipelineRegistry
  #components: ComponentRunner
  #tasks: TaskStore
  #users: UserStore
  #now: () => number

  constructor(deps: {
    engine: Engine
    legacy: LegacyEngine
    pipelines: PipelineRegistry
    components: ComponentRunner
    tasks: TaskStore
    users: UserStore
    now: () => number
  }) {
    this.#engine = deps.engine
    this.#legacy = deps.legacy
    this.#pipelines = deps.pipelines
    this.#components = deps.components
    this.#tasks = deps.tasks
    this.#users = deps.users
    this.#now = deps.now
  }

  /** The task `taskId` of `project`, or a `NOT_FOUND`. */
  async task(project: Project, taskId: number): Promise<Task> {
    const task = await this.#tasks.get(taskId)
    if (!task || task.projectId !== project.id) {
      throw new ServerError('NOT_FOUND', `task ${taskId} does not exist in project ${project.id}`)
    }
    return task
  }

  #log(
    caller: Caller,
    project: Project,
    what: { task?: Task; nodeId?: string; operation: string; detail?: unknown },
  ): Promise<void> {
    return this.#tasks.log({
      projectId: project.id,
      taskId: what.task?.id ?? null,
      nodeId: what.nodeId ?? null,
      userId: caller.user.id,
      appCode: caller.app.code,
      operation: what.operation,
      detail: what.detail ?? {},
      createdAt: this.#now(),
    })
  }

  /** Records a change made to a project itself (no app: through the bearer-token API). */
  logProjectChange(
    user: User,
    project: Project,
    operation: 'project_create' | 'member_add' | 'member_remove',
    detail: unknown,
  ): Promise<void> {
    return this.#tasks.log({
      projectId: project.id,
      taskId: null,
      nodeId: null,
      userId: user.id,
      appCode: '',
      operation,
      detail,
      createdAt: this.#now(),
    })
  }

  /** `fast_create_task`: validates the tree, gives it new ids, sets constants, stores the task. */
  async create(
    project: Project,
    caller: Caller,
    input: CreateTaskInput,
    baseUrl: string,
  ): Promise<{ task_id: number; task_url: string; pipeline_tree: PipelineTree }> {
    const { task, tree } = await this.createTask(project, caller, input)
    return { task_id: task.id, task_url: taskUrl(baseUrl, task), pipeline_tree: tree }
  }

  /** `create`, answering the task as stored and its tree with new ids. */
  async createTask(
    project: Project,
    caller: Caller,
    input: CreateTaskInput,
  ): Promise<{ task: Task; tree: PipelineTree }> {
    const pipelineId = uniqueId('p')
    const given = input.pipeline_tree as unknown as PipelineTree
    let checked: ReturnType<typeof validateTree>
    try {
      checked = validateTree(structuredClone({ ...given, id: pipelineId }), {
        components: componentLookup(this.#components),
      })
    } catch (error) {
      throw new ServerError(
        'VALIDATION',
        `pipeline_tree is not a pipeline tree: ${String(error)}`,
        {
          issues: [{ field: 'pipeline_tree', message: 'not a pipeline tree' }],
        },
      )
    }
    if (!checked.valid) {
      const issues = checked.problems.map((p) => ({
        field: ['pipeline_tree', p.path ?? p.nodeId ?? p.flowId].filter(Boolean).join('.'),
        message: p.message,
      }))
      throw new ServerError(
        'VALIDATION',
        `pipeline_tree is invalid: ${issues.map((i) => i.message).join('; ')}`,
        { issues },
      )
    }
    const { tree } = replaceIds(given)
    const issues = overrideConstants(tree.constants ?? {}, input.constants ?? {})
    if (issues.length > 0) {
      throw new ServerError(
        'VALIDATION',
        `invalid constants: ${issues.map((i) => i.message).join('; ')}`,
        { issues },
      )
    }
    const task = await this.#tasks.create({
      projectId: project.id,
      name: input.name,
      description: input.description ?? '',
      category: input.category ?? 'Other',
      flowType: input.flow_type ?? 'common',
      engineType: input.engine_type ?? 'bamboo_engine',
      pipelineId,
      tree,
      creatorId: caller.user.id,
      createdAt: this.#now(),
    })
    await this.#log(caller, project, {
      task,
      operation: 'create',
      detail: {
        name: task.name,
        category: task.category,
        flow_type: task.flowType,
        engine_type: task.engineType,
        constants: input.constants ?? {},
      },
    })
    return { task, tree }
  }

  /** Starts a task once; a started task is a `CONFLICT`. */
  async start(project: Project, task: Task, caller: Caller): Promise<void> {
    if (!(await this.#tasks.markStarted(task.id, this.#now()))) {
      throw new ServerError('CONFLICT', `task ${task.id} has already started`)
    }
    const pipeline = { ...structuredClone(task.tree), id: task.pipelineId }
    const rootPipelineData = {
      executor: caller.user.name,
      operator: caller.user.name,
      project_id: project.id,
      bk_biz_id: project.bk_biz_id,
      task_id: task.id,
      task_name: task.name,
    }
    try {
      if (task.engineType === 'pipeline_engine') {
        const answer = await this.#legacy.startPipeline(
          { pipeline, rootPipelineData },
          caller.user.id,
        )
        if (!answer.result) throw legacyRefused(answer)
      } else {
        const answer = await this.#engine.api.runPipeline({ pipeline, rootPipelineData })
        if (!answer.result) throw refused(answer)
        await this.#pipelines.record(task.pipelineId, 'bamboo_engine', caller.user.id)
      }
    } catch (error) {
      await this.#tasks.unmarkStarted(task.id)
      throw error
    }
    await this.#log(caller, project, { task, operation: 'start' })
  }

  #assertStarted(task: Task): void {
    if (task.startedAt === null) {
      throw new ServerError('CONFLICT', `task ${task.id} has not started; start it first`)
    }
  }

  /** `operate_task`: start, pause, resume or revoke. */
  async operate(project: Project, task: Task, caller: Caller, action: TaskAction): Promise<void> {
    if (action === 'start') return this.start(project, task, caller)
    this.#assertStarted(task)
    const id = task.pipelineId
    if (task.engineType === 'pipeline_engine') {
      const call = {
        pause: () => this.#legacy.pausePipeline(id),
        resume: () => this.#legacy.resumePipeline(id),
        revoke: () => this.#legacy.revokePipeline(id),
      }[action]
      const answer = await call()
      if (!answer.result) throw legacyRefused(answer)
    } else {
      const api = this.#engine.api
      const call = {
        pause: () => api.pausePipeline({ pipelineId: id }),
        resume: () => api.resumePipeline({ pipelineId: id }),
        revoke: () => api.revokePipeline({ pipelineId: id }),
      }[action]
      const answer = await call()
      if (!answer.result) throw refused(answer)
    }
    await this.#log(caller, project, { task, operation: action })
  }

  #assertNode(task: Task, nodeId: string): TreeNode {
    const node = treeNodes(task.tree).get(nodeId)
    if (!node) throw new ServerError('NOT_FOUND', `node ${nodeId} is not a node of task ${task.id}`)
    return node
  }

  /** `operate_node`: retry, skip, callback, skip_exg, skip_cpg or forced_fail on one node. */
  async operateNode(
    project: Project,
    task: Task,
    caller: Caller,
    input: OperateNodeInput,
  ): Promise<void> {
    this.#assertNode(task, input.node_id)
    this.#assertStarted(task)
    const nodeId = input.node_id
    const need = <T>(value: T | undefined, field: string): T => {
      if (value === undefined) {
        throw new ServerError('VALIDATION', `${field} is required for action ${input.action}`, {
          issues: [{ field, message: `required for action ${input.action}` }],
        })
      }
      return value
    }
    if (input.action === 'callback') {
      await this.#callback(task, nodeId, input.data ?? {})
    } else if (task.engineType === 'pipeline_engine') {
      const legacy = this.#legacy
      const answer = await (() => {
        switch (input.action) {
          case 'retry':
            return legacy.retryNode(nodeId, input.inputs ?? null)
          case 'skip':
            return legacy.skipNode(nodeId)
          case 'skip_exg':
            return legacy.skipExclusiveGateway(nodeId, need(input.flow_id, 'flow_id'))
          case 'skip_cpg':
            return legacy.skipConditionalParallelGateway(
              nodeId,
              need(input.flow_ids, 'flow_ids'),
              need(input.converge_gateway_id, 'converge_gateway_id'),
            )
          case 'forced_fail':
            return legacy.forcedFail(nodeId, input.ex_data ?? '')
        }
      })()
      if (!answer.result) throw legacyRefused(answer)
    } else {
      const api = this.#engine.api
      const answer = await (() => {
        switch (input.action) {
          case 'retry':
            return api.retryNode({ nodeId, ...(input.inputs ? { data: input.inputs } : {}) })
          case 'skip':
            return api.skipNode({ nodeId })
          case 'skip_exg':
            return api.skipExclusiveGateway({ nodeId, flowId: need(input.flow_id, 'flow_id') })
          case 'skip_cpg':
            return api.skipConditionalParallelGateway({
              nodeId,
              flowIds: need(input.flow_ids, 'flow_ids'),
              convergeGatewayId: need(input.converge_gateway_id, 'converge_gateway_id'),
            })
          case 'forced_fail':
            return api.forcedFailActivity({
              nodeId,
              ...(input.ex_data !== undefined ? { exData: input.ex_data } : {}),
            })
        }
      })()
      if (!answer.result) throw refused(answer)
    }
    const { node_id: _node, action, ...detail } = input
    await this.#log(caller, project, { task, nodeId, operation: `node_${action}`, detail })
  }

  async #callback(task: Task, nodeId: string, data: unknown): Promise<void> {
    if (task.engineType === 'pipeline_engine') {
      const answer = await this.#legacy.activityCallback(nodeId, data)
      if (!answer.result) throw legacyRefused(answer)
      return
    }
    const state = await this.#engine.runtime.getState(nodeId)
    if (!state) throw new ServerError('CONFLICT', `node ${nodeId} has not run yet`)
    const answer = await this.#engine.api.callback({ nodeId, version: state.version, data })
    if (!answer.result) throw refused(answer)
  }

  /** `node_callback`: sends data to a node that waits for a callback. */
  async nodeCallback(
    project: Project,
    task: Task,
    caller: Caller,
    nodeId: string,
    data: unknown,
  ): Promise<void> {
    this.#assertNode(task, nodeId)
    this.#assertStarted(task)
    await this.#callback(task, nodeId, data)
    await this.#log(caller, project, {
      task,
      nodeId,
      operation: 'node_callback',
      detail: { callback_data: data },
    })
  }

  #times(state: { startedTime: number | null; archivedTime: number | null } | undefined) {
    const started = state?.startedTime ?? null
    const finished = state?.archivedTime ?? null
    const elapsed =
      started === null ? 0 : Math.max(0, Math.round(((finished ?? this.#now()) - started) / 1000))
    return { start_time: isoTime(started), finish_time: isoTime(finished), elapsed_time: elapsed }
  }

  /** `get_task_status`: the state tree with each node's name and elapsed seconds. */
  async status(task: Task): Promise<Record<string, unknown>> {
    const nodes = treeNodes(task.tree)
    const root =
      task.startedAt === null ? undefined : await this.#engine.runtime.getState(task.pipelineId)
    if (!root) {
      return {
        id: task.pipelineId,
        name: task.name,
        state: CREATED,
        ...this.#times(undefined),
        children: {},
      }
    }
    const states = await this.#engine.runtime.getStatesByRoot(task.pipelineId)
    const entry = (s: StateRecord): Record<string, unknown> => ({
      id: s.nodeId,
      name: nodes.get(s.nodeId)?.name ?? '',
      type: nodes.get(s.nodeId)?.type ?? 'SubProcess',
      state: s.name,
      loop: s.loop,
      retry: s.retry,
      skip: s.skip,
      error_ignored: s.errorIgnored,
      version: s.version,
      ...this.#times(s),
      children: {},
    })
    const rootEntry: Record<string, unknown> = { ...entry(root), name: task.name }
    const entries = new Map<string, Record<string, unknown>>([[root.nodeId, rootEntry]])
    const others = states.filter((s) => s.nodeId !== root.nodeId)
    for (const s of others) entries.set(s.nodeId, entry(s))
    for (const s of others) {
      const parent = entries.get(s.parentId) ?? rootEntry
      ;(parent.children as Record<string, unknown>)[s.nodeId] = entries.get(s.nodeId)
    }
    return rootEntry
  }

  async #stateOf(task: TaskInfo): Promise<StateRecord | undefined> {
    return task.startedAt === null ? undefined : this.#engine.runtime.getState(task.pipelineId)
  }

  /** One task as lists show it. */
  async summary(task: TaskInfo, baseUrl: string, names: Map<number, string>) {
    const state = await this.#stateOf(task)
    return {
      id: task.id,
      name: task.name,
      category: task.category,
      flow_type: task.flowType,
      engine_type: task.engineType,
      project_id: task.projectId,
      creator: names.get(task.creatorId) ?? String(task.creatorId),
      create_time: isoTime(task.createdAt),
      ...this.#times(state),
      state: state?.name ?? CREATED,
      is_started: task.startedAt !== null,
      is_finished: state?.name === 'FINISHED',
      task_url: taskUrl(baseUrl, task),
    }
  }

  async userNames(): Promise<Map<number, string>> {
    return new Map((await this.#users.list()).map((u) => [u.id, u.name]))
  }

  /** `get_task_detail`: the task's fields, tree, constants and outputs. */
  async detail(project: Project, task: Task, baseUrl: string): Promise<Record<string, unknown>> {
    const summary = await this.summary(task, baseUrl, await this.userNames())
    const outputs =
      task.startedAt === null
        ? {}
        : ((await this.#engine.runtime.getExecutionData(task.pipelineId))?.outputs ?? {})
    return {
      ...summary,
      description: task.description,
      bk_biz_id: project.bk_biz_id,
      is_revoked: summary.state === 'REVOKED',
      pipeline_tree: task.tree,
      constants: task.tree.constants ?? {},
      outputs: toJson(outputs),
    }
  }

  /** `get_task_node_detail`: a node's state, inputs, outputs and earlier runs. */
  async nodeDetail(task: Task, nodeId: string, loop?: number): Promise<Record<string, unknown>> {
    const node = this.#assertNode(task, nodeId)
    const state = task.startedAt === null ? undefined : await this.#engine.runtime.getState(nodeId)
    const data = state ? await this.#engine.runtime.getExecutionData(nodeId) : undefined
    const outputs = { ...(data?.outputs ?? {}) } as Record<string, unknown>
    const histories = state
      ? await this.#engine.api.getNodeHistories({ nodeId, ...(loop !== undefined ? { loop } : {}) })
      : undefined
    return {
      id: nodeId,
      name: node.name,
      type: node.type,
      component_code: node.componentCode ?? null,
      state: state?.name ?? (task.startedAt === null ? CREATED : 'READY'),
      loop: state?.loop ?? 1,
      retry: state?.retry ?? 0,
      skip: state?.skip ?? false,
      error_ignored: state?.errorIgnored ?? false,
      version: state?.version ?? null,
      ...this.#times(state),
      inputs: toJson(data?.inputs ?? {}),
      outputs: toJson(outputs),
      ex_data: toJson(outputs.ex_data ?? null),
      histories: toJson(histories?.result ? histories.data : []),
    }
  }

  /** `get_tasks`: a page of a project's tasks that pass the filters, newest first. */
  async list(
    project: Project,
    filter: {
      category?: string | undefined
      creator?: string | undefined
      state?: string | undefined
      name?: string | undefined
      flow_type?: string | undefined
      engine_type?: string | undefined
      offset: number
      limit: number
    },
    baseUrl: string,
  ): Promise<{
    count: number
    tasks: Awaited<ReturnType<TaskService['summary']>>[]
    /** The pipeline (run) id of each task of the page, by task id. */
    runIds: Map<number, string>
  }> {
    let creatorId: number | undefined
    if (filter.creator !== undefined) {
      const creator = await this.#users.getByName(filter.creator)
      if (!creator) return { count: 0, tasks: [], runIds: new Map() }
      creatorId = creator.id
    }
    const where: TaskFilter = {
      projectId: project.id,
      ...(filter.category !== undefined ? { category: filter.category } : {}),
      ...(creatorId !== undefined ? { creatorId } : {}),
      ...(filter.name !== undefined ? { name: filter.name } : {}),
      ...(filter.flow_type !== undefined ? { flowType: filter.flow_type } : {}),
      ...(filter.engine_type !== undefined ? { engineType: filter.engine_type } : {}),
    }
    if (filter.state !== undefined && filter.state !== CREATED) {
      // The state lives with the engine: read it for each started task that passes the rest.
      const started = await this.#tasks.pipelines({ ...where, started: true })
      const states = await Promise.all(
        started.map((t) => this.#engine.runtime.getState(t.pipelineId)),
      )
      const ids = started.filter((_, i) => states[i]?.name === filter.state).map((t) => t.id)
      where.ids = ids.slice(filter.offset, filter.offset + filter.limit)
      const names = await this.userNames()
      const page = await this.#tasks.page(where, 0, filter.limit)
      return {
        count: ids.length,
        tasks: await Promise.all(page.map((t) => this.summary(t, baseUrl, names))),
        runIds: runIdsOf(page),
      }
    }
    if (filter.state === CREATED) where.started = false
    const [count, page, names] = await Promise.all([
      this.#tasks.count(where),
      this.#tasks.page(where, filter.offset, filter.limit),
      this.userNames(),
    ])
    return {
      count,
      tasks: await Promise.all(page.map((t) => this.summary(t, baseUrl, names))),
      runIds: runIdsOf(page),
    }
  }

  /** The operation log of a project or of one task, oldest first. */
  async operations(
    project: Project,
    options: { taskId?: number; offset: number; limit: number },
  ): Promise<{ count: number; operations: Record<string, unknown>[] }> {
    const { count, operations } = await this.#tasks.operations(project.id, options)
    const names = await this.userNames()
    return {
      count,
      operations: operations.map((o) => ({
        id: o.id,
        project_id: o.projectId,
        task_id: o.taskId,
        node_id: o.nodeId,
        operator: names.get(o.userId) ?? String(o.userId),
        app_code: o.appCode,
        operation: o.operation,
        detail: o.detail,
        operate_time: isoTime(o.createdAt),
      })),
    }
  }
}

/** Where the console shows a task. */
/** The pipeline (run) id of each task, by task id. */
function runIdsOf(tasks: TaskInfo[]): Map<number, string> {
  return new Map(tasks.map((task) => [task.id, task.pipelineId]))
}

export function taskUrl(baseUrl: string, task: TaskInfo): string {
  return `${baseUrl}/taskflow/execute/${task.projectId}/?instance_id=${task.id}`
}
