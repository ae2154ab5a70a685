import type { Runtime } from '@culm/engine'
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely'
import type { User } from './auth/users.js'
import type { PipelineTable, ServerDatabase, TaskTable } from './db/schema.js'
import { ServerError } from './errors.js'

/** Who may read and control a pipeline started directly (not by a task). */
export const PIPELINE_ACCESS = ['owner', 'everyone'] as const
/** `owner`: its starter and admins (default); `everyone`: any authenticated user. */
export type PipelineAccessMode = (typeof PIPELINE_ACCESS)[number]

/** A query over runs joined with their task (`t`) and their start record (`sp`). */
export type RunJoin = ServerDatabase & { t: TaskTable; sp: PipelineTable }

/** The task a pipeline was started by, for its operation log. */
export interface PipelineTask {
  taskId: number
  projectId: number
}

/** A control call on a task's pipeline, as its operation log keeps it. */
export interface ControlCall {
  user: User
  surface: 'bamboo_engine' | 'pipeline_engine'
  operation: string
  nodeId: string | null
  detail: unknown
}

/**
 * Object-level authorization of the bamboo and legacy APIs. A pipeline started by a task belongs
 * to that task's project: its members and admins may read and control it. A pipeline started
 * directly belongs to its starter (and admins), or to everyone under `everyone`. A node is
 * judged by the root pipeline it runs in. Every other caller is refused with 403, whether the
 * pipeline exists or not, so that ids cannot be probed.
 */
export class PipelineAccess {
  readonly #db: Kysely<ServerDatabase>
  readonly #runtime: Runtime
  readonly #mode: PipelineAccessMode
  readonly #now: () => number

  constructor(
    db: Kysely<ServerDatabase>,
    runtime: Runtime,
    options: { mode?: PipelineAccessMode; now?: () => number } = {},
  ) {
    this.#db = db
    this.#runtime = runtime
    this.#mode = options.mode ?? 'owner'
    this.#now = options.now ?? Date.now
  }

  /**
   * `assertMay` as a condition of a query over runs (`RunJoin`), for lists: the runs of the
   * caller's projects' tasks, and the runs they started (every run started directly, under
   * `everyone`). Null for an admin, who reads every run.
   */
  runCondition(
    user: User,
  ): ((eb: ExpressionBuilder<RunJoin, 't' | 'sp'>) => Expression<SqlBool>) | null {
    if (user.isAdmin) return null
    const everyone = this.#mode === 'everyone'
    return (eb) =>
      eb.or([
        eb(
          't.project_id',
          'in',
          eb
            .selectFrom('culm_server_project_member')
            .select('project_id')
            .where('user_id', '=', user.id),
        ),
        eb.and([eb('t.id', 'is', null), everyone ? eb.lit(true) : eb('sp.user_id', '=', user.id)]),
      ])
  }

  /** The root pipeline of a pipeline, subprocess or node id (the id itself if it is none). */
  async rootOf(id: string): Promise<string> {
    const state = await this.#runtime.getState(id)
    if (state?.rootId) return state.rootId
    const node = await this.#runtime.getNode(id)
    return node?.rootPipelineId ?? id
  }

  /** The task that started the root pipeline `rootId`, if a task did. */
  async taskOfRoot(rootId: string): Promise<PipelineTask | null> {
    const task = await this.#db
      .selectFrom('culm_server_task')
      .select(['id', 'project_id'])
      .where('pipeline_id', '=', rootId)
      .executeTakeFirst()
    return task ? { taskId: Number(task.id), projectId: Number(task.project_id) } : null
  }

  /**
   * Refuses (403) a caller who may not read or control what `id` belongs to; answers the task
   * that started its pipeline, if one did.
   */
  async assertMay(user: User, id: string): Promise<PipelineTask | null> {
    const rootId = await this.rootOf(id)
    const found = await this.taskOfRoot(rootId)
    if (found) {
      if (user.isAdmin) return found
      const member = await this.#db
        .selectFrom('culm_server_project_member')
        .select('user_id')
        .where('project_id', '=', found.projectId)
        .where('user_id', '=', user.id)
        .executeTakeFirst()
      if (member) return found
      throw this.#refusal(id)
    }
    if (user.isAdmin || this.#mode === 'everyone') return null
    const started = await this.#db
      .selectFrom('culm_server_pipeline')
      .select('user_id')
      .where('pipeline_id', '=', rootId)
      .executeTakeFirst()
    if (started && started.user_id !== null && Number(started.user_id) === user.id) return null
    throw this.#refusal(id)
  }

  /**
   * Refuses (403) a caller who may not touch every pipeline or node a call's body names; for a
   * control call, answers the task whose operation log it goes into. An admin's read needs
   * neither, and costs no query.
   */
  async authorize(user: User, body: unknown, control: boolean): Promise<PipelineTask | null> {
    if (user.isAdmin && !control) return null
    let task: PipelineTask | null = null
    for (const id of subjectsOf(body)) task = (await this.assertMay(user, id)) ?? task
    return control ? task : null
  }

  /** Writes a control call on a task's pipeline into the task's operation log. */
  logControl(task: PipelineTask, call: ControlCall): Promise<void> {
    return this.#log(task, { ...call, operation: `${call.surface}.${call.operation}` })
  }

  /** Writes an engine admin action on a task's pipeline into the task's operation log. */
  logAdminAction(
    task: PipelineTask,
    call: { user: User; action: string; nodeId: string | null; detail: unknown },
  ): Promise<void> {
    return this.#log(task, { ...call, operation: `engine_admin.${call.action}` })
  }

  async #log(
    task: PipelineTask,
    call: { user: User; operation: string; nodeId: string | null; detail: unknown },
  ): Promise<void> {
    await this.#db
      .insertInto('culm_server_operation')
      .values({
        project_id: task.projectId,
        task_id: task.taskId,
        node_id: call.nodeId,
        user_id: call.user.id,
        app_code: '',
        operation: call.operation,
        detail: JSON.stringify(call.detail ?? {}),
        created_at: this.#now(),
      })
      .execute()
  }

  #refusal(id: string): ServerError {
    return new ServerError(
      'FORBIDDEN',
      `you may not read or control ${id}: its pipeline belongs to its starter or its task's project`,
    )
  }
}

/** The fields of a call's body that name a stored pipeline or node. */
const SUBJECT_FIELDS = ['pipeline_id', 'root_id', 'node_id', 'activity_id'] as const

/** The stored pipeline and node ids a call's body names, which its caller must be allowed. */
export function subjectsOf(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return []
  const fields = body as Record<string, unknown>
  const ids: string[] = []
  for (const field of SUBJECT_FIELDS) {
    if (typeof fields[field] === 'string') ids.push(fields[field] as string)
  }
  if (Array.isArray(fields.node_ids)) {
    for (const id of fields.node_ids) if (typeof id === 'string') ids.push(id)
  }
  return ids
}
