import type { PipelineTree } from '@culm/tree'
import { type Kysely, sql } from 'kysely'
import type { ServerDatabase, TaskTable } from '../db/schema.js'
import type { EngineType } from '../pipelines.js'

/** The categories of a task, as the operations platform names them. */
export const TASK_CATEGORIES = [
  'OpsTools',
  'MonitorAlarm',
  'ConfManage',
  'DevTools',
  'EnterpriseIT',
  'OfficeApp',
  'Other',
] as const
/** One of `TASK_CATEGORIES`. */
export type TaskCategory = (typeof TASK_CATEGORIES)[number]

/** `common`: a common flow; `common_func`: a functional flow. */
export const FLOW_TYPES = ['common', 'common_func'] as const
/** One of `FLOW_TYPES`. */
export type FlowType = (typeof FLOW_TYPES)[number]

/** A stored task. */
export interface Task {
  id: number
  projectId: number
  name: string
  description: string
  category: TaskCategory
  flowType: FlowType
  engineType: EngineType
  pipelineId: string
  tree: PipelineTree
  creatorId: number
  createdAt: number
  startedAt: number | null
}

/** A task without its tree, as lists read it. */
export type TaskInfo = Omit<Task, 'tree'>

/** The filters of a task list; all but the project are optional. */
export interface TaskFilter {
  projectId: number
  category?: string
  creatorId?: number
  /** Part of the name, in any case. */
  name?: string
  flowType?: string
  engineType?: string
  /** Only tasks that have (true) or have not (false) started. */
  started?: boolean
  /** Only these tasks. */
  ids?: number[]
}

type TaskRow = Omit<TaskTable, 'id'> & { id: number }

function asInfo(row: Omit<TaskRow, 'pipeline_tree'>): TaskInfo {
  return {
    id: Number(row.id),
    projectId: Number(row.project_id),
    name: row.name,
    description: row.description,
    category: row.category as TaskCategory,
    flowType: row.flow_type as FlowType,
    engineType: row.engine_type as EngineType,
    pipelineId: row.pipeline_id,
    creatorId: Number(row.creator_id),
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
  }
}

const INFO_COLUMNS = [
  'id',
  'project_id',
  'name',
  'description',
  'category',
  'flow_type',
  'engine_type',
  'pipeline_id',
  'creator_id',
  'created_at',
  'started_at',
] as const

function asTask(row: TaskRow): Task {
  return {
    id: Number(row.id),
    projectId: Number(row.project_id),
    name: row.name,
    description: row.description,
    category: row.category as TaskCategory,
    flowType: row.flow_type as FlowType,
    engineType: row.engine_type as EngineType,
    pipelineId: row.pipeline_id,
    tree: JSON.parse(row.pipeline_tree) as PipelineTree,
    creatorId: Number(row.creator_id),
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
  }
}

/** One entry of the operation log. */
export interface Operation {
  id: number
  projectId: number
  taskId: number | null
  nodeId: string | null
  userId: number
  appCode: string
  operation: string
  detail: unknown
  createdAt: number
}

/** Tasks and the operation log, in the server's tables. */
export class TaskStore {
  #db: Kysely<ServerDatabase>

  constructor(db: Kysely<ServerDatabase>) {
    this.#db = db
  }

  async create(task: Omit<Task, 'id' | 'startedAt'>): Promise<Task> {
    await this.#db
      .insertInto('culm_server_task')
      .values({
        project_id: task.projectId,
        name: task.name,
        description: task.description,
        category: task.category,
        flow_type: task.flowType,
        engine_type: task.engineType,
        pipeline_id: task.pipelineId,
        pipeline_tree: JSON.stringify(task.tree),
        creator_id: task.creatorId,
        created_at: task.createdAt,
        started_at: null,
      })
      .execute()
    const row = await this.#db
      .selectFrom('culm_server_task')
      .selectAll()
      .where('pipeline_id', '=', task.pipelineId)
      .executeTakeFirstOrThrow()
    return asTask(row)
  }

  async get(id: number): Promise<Task | undefined> {
    const row = await this.#db
      .selectFrom('culm_server_task')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    return row ? asTask(row) : undefined
  }

  /** Marks a task started unless it was already; answers whether this call marked it. */
  async markStarted(id: number, at: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('culm_server_task')
      .set({ started_at: at })
      .where('id', '=', id)
      .where('started_at', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  /** Takes back `markStarted` when the engine refused to start the task. */
  async unmarkStarted(id: number): Promise<void> {
    await this.#db
      .updateTable('culm_server_task')
      .set({ started_at: null })
      .where('id', '=', id)
      .execute()
  }

  #filtered(filter: TaskFilter) {
    let query = this.#db.selectFrom('culm_server_task').where('project_id', '=', filter.projectId)
    if (filter.category !== undefined) query = query.where('category', '=', filter.category)
    if (filter.creatorId !== undefined) query = query.where('creator_id', '=', filter.creatorId)
    if (filter.flowType !== undefined) query = query.where('flow_type', '=', filter.flowType)
    if (filter.engineType !== undefined) query = query.where('engine_type', '=', filter.engineType)
    if (filter.started !== undefined) {
      query = query.where('started_at', filter.started ? 'is not' : 'is', null)
    }
    if (filter.ids !== undefined) {
      query = query.where('id', 'in', filter.ids.length > 0 ? filter.ids : [-1])
    }
    if (filter.name !== undefined) {
      // lower() on both sides: LIKE and INSTR follow the collation, which differs by database.
      query = query.where(sql<boolean>`instr(lower(name), ${filter.name.toLowerCase()}) > 0`)
    }
    return query
  }

  /** How many tasks pass `filter`. */
  async count(filter: TaskFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  /** A page of the tasks that pass `filter`, newest first, without their trees. */
  async page(filter: TaskFilter, offset: number, limit: number): Promise<TaskInfo[]> {
    const rows = await this.#filtered(filter)
      .select(INFO_COLUMNS)
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute()
    return rows.map(asInfo)
  }

  /** Every task that passes `filter`, newest first: its id and pipeline only. */
  async pipelines(filter: TaskFilter): Promise<Array<{ id: number; pipelineId: string }>> {
    const rows = await this.#filtered(filter)
      .select(['id', 'pipeline_id'])
      .orderBy('id', 'desc')
      .execute()
    return rows.map((r) => ({ id: Number(r.id), pipelineId: r.pipeline_id }))
  }

  async log(entry: Omit<Operation, 'id'>): Promise<void> {
    await this.#db
      .insertInto('culm_server_operation')
      .values({
        project_id: entry.projectId,
        task_id: entry.taskId,
        node_id: entry.nodeId,
        user_id: entry.userId,
        app_code: entry.appCode,
        operation: entry.operation,
        detail: JSON.stringify(entry.detail ?? {}),
        created_at: entry.createdAt,
      })
      .execute()
  }

  /** The operation log of a project (or one of its tasks), oldest first, and its length. */
  async operations(
    projectId: number,
    options: { taskId?: number; offset: number; limit: number },
  ): Promise<{ count: number; operations: Operation[] }> {
    let query = this.#db.selectFrom('culm_server_operation').where('project_id', '=', projectId)
    if (options.taskId !== undefined) query = query.where('task_id', '=', options.taskId)
    const counted = await query
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow()
    const rows = await query
      .selectAll()
      .orderBy('id')
      .limit(options.limit)
      .offset(options.offset)
      .execute()
    return {
      count: Number(counted.n),
      operations: rows.map((r) => ({
        id: Number(r.id),
        projectId: Number(r.project_id),
        taskId: r.task_id === null ? null : Number(r.task_id),
        nodeId: r.node_id,
        userId: Number(r.user_id),
        appCode: r.app_code,
        operation: r.operation,
        detail: JSON.parse(r.detail) as unknown,
        createdAt: Number(r.created_at),
      })),
    }
  }
}
