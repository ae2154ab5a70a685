import type { Engine, Runtime, StateRecord } from '@culm/engine'
import type { StoreDatabase } from '@culm/store'
import { type Kysely, sql } from 'kysely'
import type { PipelineAccess } from '../access.js'
import type { User } from '../auth/users.js'
import type { ServerDatabase } from '../db/schema.js'
import { ServerError } from '../errors.js'
import type { EngineType } from '../pipelines.js'
import { num, numOrNull, parseJson } from './lists.js'

/** The store's tables and the server's, as the console's queries see them. */
export type ConsoleDatabase = StoreDatabase & ServerDatabase

/** A run: one root pipeline, started directly or by a task. */
export interface Run {
  id: string
  engine_type: EngineType
  state: string
  name: string
  project_id: number | null
  project_name: string | null
  task_id: number | null
  task_name: string | null
  creator: string | null
  created_at: number
  started_time: number | null
  archived_time: number | null
}

/** The state of a node (or a subprocess, or the run itself) as the console shows it. */
export interface NodeState {
  node_id: string
  parent_id: string
  state: string
  name: string
  version: string
  loop: number
  inner_loop: number
  retry: number
  skip: boolean
  error_ignored: boolean
  started_time: number | null
  archived_time: number | null
}

/** The filters of the run list. */
export interface RunFilter {
  state?: string | undefined
  engine_type?: EngineType | undefined
  project_id?: number | undefined
  task_id?: number | undefined
  task_name?: string | undefined
  started_after?: number | undefined
  started_before?: number | undefined
  q?: string | undefined
}

/** The sort fields of the run list. */
export const RUN_SORTS = ['created_at', 'state', 'started_time', 'archived_time'] as const
/** One of `RUN_SORTS`. */
export type RunSort = (typeof RUN_SORTS)[number]

const SORT_COLUMN = {
  created_at: 'p.created_time',
  state: 's.name',
  started_time: 's.started_time',
  archived_time: 's.archived_time',
} as const

/** What a `Run` is made of, from the joined tables. */
const RUN_COLUMNS = [
  sql<string>`p.id`.as('id'),
  sql<number>`p.created_time`.as('created_time'),
  sql<string | null>`s.name`.as('state'),
  sql<number | null>`s.started_time`.as('started_time'),
  sql<number | null>`s.archived_time`.as('archived_time'),
  sql<string | null>`sp.engine_type`.as('engine_type'),
  sql<number | null>`sp.user_id`.as('starter_id'),
  sql<number | null>`t.id`.as('task_id'),
  sql<string | null>`t.name`.as('task_name'),
  sql<number | null>`t.creator_id`.as('creator_id'),
  sql<number | null>`t.project_id`.as('project_id'),
  sql<string | null>`pr.name`.as('project_name'),
]

/** Reads on behalf of the server itself, which sees every run. */
const SYSTEM: User = { id: 0, name: 'culm', isAdmin: true }

/** A LIKE pattern matching `text` anywhere, `%`, `_` and `!` escaped with `!` (`escape '!'`). */
export function likePattern(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`
}

function stateOf(row: {
  node_id: string
  parent_id: string
  name: string
  version: string
  loop: unknown
  inner_loop: unknown
  retry: unknown
  skip: unknown
  error_ignored: unknown
  started_time: unknown
  archived_time: unknown
}): NodeState {
  return {
    node_id: row.node_id,
    parent_id: row.parent_id,
    state: row.name,
    name: row.name,
    version: row.version,
    loop: num(row.loop),
    inner_loop: num(row.inner_loop),
    retry: num(row.retry),
    skip: num(row.skip) === 1,
    error_ignored: num(row.error_ignored) === 1,
    started_time: numOrNull(row.started_time),
    archived_time: numOrNull(row.archived_time),
  }
}

/** A node's state as the engine's runtime reads it. */
function stateOfRecord(state: StateRecord): NodeState {
  return stateOf({
    node_id: state.nodeId,
    parent_id: state.parentId,
    name: state.name,
    version: state.version,
    loop: state.loop,
    inner_loop: state.innerLoop,
    retry: state.retry,
    skip: state.skip ? 1 : 0,
    error_ignored: state.errorIgnored ? 1 : 0,
    started_time: state.startedTime,
    archived_time: state.archivedTime,
  })
}

/**
 * Reads runs and their nodes for the console, straight from the store's and the server's tables,
 * showing a caller only the runs `PipelineAccess` lets them read.
 */
export class RunReader {
  readonly #db: Kysely<ConsoleDatabase>
  readonly #runtime: Runtime
  readonly #access: PipelineAccess

  constructor(db: Kysely<ConsoleDatabase>, engine: Engine, access: PipelineAccess) {
    this.#db = db
    this.#runtime = engine.runtime
    this.#access = access
  }

  /** The runs table joined with everything a `Run` shows, narrowed to what `user` may read. */
  #runs(user: User) {
    let query = this.#db
      .selectFrom('culm_pipelines as p')
      .leftJoin('culm_states as s', 's.node_id', 'p.id')
      .leftJoin('culm_server_pipeline as sp', 'sp.pipeline_id', 'p.id')
      .leftJoin('culm_server_task as t', 't.pipeline_id', 'p.id')
      .leftJoin('culm_server_project as pr', 'pr.id', 't.project_id')
    const readable = this.#access.runCondition(user)
    if (readable) query = query.where(readable)
    return query
  }

  #filtered(user: User, filter: RunFilter) {
    let query = this.#runs(user)
    if (filter.state) query = query.where('s.name', '=', filter.state)
    if (filter.engine_type === 'pipeline_engine') {
      query = query.where('sp.engine_type', '=', 'pipeline_engine')
    } else if (filter.engine_type === 'bamboo_engine') {
      query = query.where((eb) =>
        eb.or([eb('sp.engine_type', 'is', null), eb('sp.engine_type', '=', 'bamboo_engine')]),
      )
    }
    if (filter.project_id !== undefined) query = query.where('t.project_id', '=', filter.project_id)
    if (filter.task_id !== undefined) query = query.where('t.id', '=', filter.task_id)
    if (filter.task_name) {
      query = query.where(sql<boolean>`t.name like ${likePattern(filter.task_name)} escape '!'`)
    }
    if (filter.started_after !== undefined) {
      query = query.where('s.started_time', '>=', filter.started_after)
    }
    if (filter.started_before !== undefined) {
      query = query.where('s.started_time', '<=', filter.started_before)
    }
    if (filter.q) {
      const q = filter.q
      query = query.where((eb) =>
        eb.or([
          eb('p.id', '=', q),
          sql<boolean>`t.name like ${likePattern(q)} escape '!'`,
          sql<boolean>`pr.name like ${likePattern(q)} escape '!'`,
        ]),
      )
    }
    return query
  }

  /** A page of the runs `user` may read, filtered and sorted, and how many match in all. */
  async list(
    user: User,
    filter: RunFilter,
    page: { offset: number; limit: number; sort?: RunSort; order?: 'asc' | 'desc' },
  ): Promise<{ data: Run[]; total: number }> {
    const counted = await this.#filtered(user, filter)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirst()
    const column = SORT_COLUMN[page.sort ?? 'created_at']
    const order = page.order ?? 'desc'
    const rows = await this.#filtered(user, filter)
      .select(RUN_COLUMNS)
      .orderBy(column, order)
      .orderBy('p.id', order)
      .offset(page.offset)
      .limit(page.limit)
      .execute()
    return { data: await this.#asRuns(rows), total: num(counted?.n ?? 0) }
  }

  /** The run `id`, or NOT_FOUND (FORBIDDEN for a caller who may not read it). */
  async get(user: User, id: string): Promise<Run> {
    await this.#access.assertMay(user, id)
    const row = await this.#runs(user).select(RUN_COLUMNS).where('p.id', '=', id).executeTakeFirst()
    if (!row) throw new ServerError('NOT_FOUND', `run ${id} does not exist`)
    const [run] = await this.#asRuns([row])
    return run!
  }

  /** Throws as `get` does when `user` may not read the run `id`, without building the run. */
  async assertReadable(user: User, id: string): Promise<void> {
    await this.#access.assertMay(user, id)
    const row = await this.#runs(user).select('p.id').where('p.id', '=', id).executeTakeFirst()
    if (!row) throw new ServerError('NOT_FOUND', `run ${id} does not exist`)
  }

  /** The run `id` whoever asks (for the event streams, which check access first). */
  async runById(id: string): Promise<Run | undefined> {
    const row = await this.#runs(SYSTEM)
      .select(RUN_COLUMNS)
      .where('p.id', '=', id)
      .executeTakeFirst()
    return row ? (await this.#asRuns([row]))[0] : undefined
  }

  /** The runs among `ids` that `user` may read, by id. */
  async runsById(user: User, ids: string[]): Promise<Map<string, Run>> {
    if (ids.length === 0) return new Map()
    const rows = await this.#runs(user).select(RUN_COLUMNS).where('p.id', 'in', ids).execute()
    return new Map((await this.#asRuns(rows)).map((r) => [r.id, r]))
  }

  async #asRuns(
    rows: Array<{
      id: string
      created_time: unknown
      state: string | null
      started_time: unknown
      archived_time: unknown
      engine_type: string | null
      starter_id: unknown
      task_id: unknown
      task_name: string | null
      creator_id: unknown
      project_id: unknown
      project_name: string | null
    }>,
  ): Promise<Run[]> {
    const userIds = [
      ...new Set(
        rows.map((r) => numOrNull(r.creator_id ?? r.starter_id)).filter((id) => id !== null),
      ),
    ]
    const users = userIds.length
      ? await this.#db
          .selectFrom('culm_server_user')
          .select(['id', 'name'])
          .where('id', 'in', userIds)
          .execute()
      : []
    const userName = new Map(users.map((u) => [num(u.id), u.name]))
    const unnamed = rows.filter((r) => r.task_name === null).map((r) => r.id)
    const treeNames = unnamed.length
      ? await this.#db
          .selectFrom('culm_pipelines')
          .select(['id', sql<string | null>`json_extract(tree, '$.name')`.as('name')])
          .where('id', 'in', unnamed)
          .execute()
      : []
    const treeName = new Map(treeNames.map((t) => [t.id, readName(t.name)]))
    return rows.map((r) => {
      const creatorId = numOrNull(r.creator_id ?? r.starter_id)
      return {
        id: r.id,
        engine_type: r.engine_type === 'pipeline_engine' ? 'pipeline_engine' : 'bamboo_engine',
        state: r.state ?? 'READY',
        name: r.task_name ?? treeName.get(r.id) ?? r.id,
        project_id: numOrNull(r.project_id),
        project_name: r.project_name,
        task_id: numOrNull(r.task_id),
        task_name: r.task_name,
        creator: creatorId === null ? null : (userName.get(creatorId) ?? null),
        created_at: num(r.created_time),
        started_time: numOrNull(r.started_time),
        archived_time: numOrNull(r.archived_time),
      }
    })
  }

  /** The tree of a run and the state of every node that has one (subprocesses' nodes too). */
  async graph(user: User, id: string): Promise<{ run: Run; tree: unknown; states: StateMap }> {
    const run = await this.get(user, id)
    const pipeline = await this.#runtime.getPipeline(id)
    return { run, tree: pipeline?.tree ?? null, states: await this.states(id) }
  }

  /** The state of every node of a run, by node id. */
  async states(rootId: string): Promise<StateMap> {
    const states = await this.#runtime.getStatesByRoot(rootId)
    return Object.fromEntries(states.map((state) => [state.nodeId, stateOfRecord(state)]))
  }

  /** The node states of a run, optionally of one state, as a list page. */
  async nodes(
    user: User,
    id: string,
    page: {
      state?: string | undefined
      offset: number
      limit: number
      sort?: NodeSort
      order?: 'asc' | 'desc'
    },
  ): Promise<{ data: Array<NodeState & { id: string }>; total: number }> {
    await this.assertReadable(user, id)
    let query = this.#db.selectFrom('culm_states').where('root_id', '=', id)
    if (page.state) query = query.where('name', '=', page.state)
    const counted = await query
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirst()
    const column = NODE_SORT_COLUMN[page.sort ?? 'started_time']
    const rows = await query
      .selectAll()
      .orderBy(column, page.order ?? 'asc')
      .orderBy('seq', page.order ?? 'asc')
      .offset(page.offset)
      .limit(page.limit)
      .execute()
    return {
      data: rows.map((r) => ({ id: r.node_id, ...stateOf(r) })),
      total: num(counted?.n ?? 0),
    }
  }

  /** Everything the console shows of one node of a run. */
  async node(user: User, id: string, nodeId: string): Promise<NodeDetail> {
    await this.assertReadable(user, id)
    const [state, node, data] = await Promise.all([
      this.#runtime.getState(nodeId),
      this.#runtime.getNode(nodeId),
      this.#runtime.getExecutionData(nodeId),
    ])
    const rootOfNode = state?.rootId ?? node?.rootPipelineId
    if (!rootOfNode || rootOfNode !== id || (!state && !node)) {
      throw new ServerError('NOT_FOUND', `node ${nodeId} does not exist in run ${id}`)
    }
    const [histories, schedule, callbacks] = await Promise.all([
      this.#runtime.getHistories(nodeId),
      this.#db
        .selectFrom('culm_schedules')
        .selectAll()
        .where('node_id', '=', nodeId)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst(),
      this.#db
        .selectFrom('culm_callbacks')
        .selectAll()
        .where('node_id', '=', nodeId)
        .orderBy('seq')
        .execute(),
    ])
    const outputs = data?.outputs ?? {}
    const base: NodeState = state
      ? stateOfRecord(state)
      : {
          node_id: nodeId,
          parent_id: node?.pipelineId ?? id,
          state: 'READY',
          name: 'READY',
          version: '',
          loop: 1,
          inner_loop: 1,
          retry: 0,
          skip: false,
          error_ignored: false,
          started_time: null,
          archived_time: null,
        }
    return {
      ...base,
      id: nodeId,
      type: node?.type ?? null,
      component: node?.component ?? null,
      inputs: data?.inputs ?? {},
      outputs,
      ex_data: (outputs as Record<string, unknown>).ex_data ?? null,
      histories: histories.map((h) => ({
        loop: h.loop,
        retry: h.retry,
        skip: h.skip,
        started_time: h.startedTime,
        archived_time: h.archivedTime,
        inputs: h.inputs,
        outputs: h.outputs,
      })),
      schedule: schedule
        ? {
            id: schedule.id,
            type: schedule.type,
            times: num(schedule.times),
            finished: num(schedule.finished) === 1,
            expired: num(schedule.expired) === 1,
            due_at: numOrNull(schedule.due_at),
          }
        : null,
      callbacks: callbacks.map((cb) => ({
        id: cb.id,
        consumed: num(cb.consumed) === 1,
        data: parseJson(cb.data),
      })),
    }
  }
}

/** Node states by node id. */
export type StateMap = Record<string, NodeState>

/** The sort fields of a run's node list. */
export const NODE_SORTS = ['started_time', 'archived_time', 'state', 'node_id'] as const
/** One of `NODE_SORTS`. */
export type NodeSort = (typeof NODE_SORTS)[number]
const NODE_SORT_COLUMN = {
  started_time: 'started_time',
  archived_time: 'archived_time',
  state: 'name',
  node_id: 'node_id',
} as const

/** One node of a run in full. */
export interface NodeDetail extends NodeState {
  id: string
  type: string | null
  component: { code: string; version: string } | null
  inputs: unknown
  outputs: unknown
  ex_data: unknown
  histories: Array<{
    loop: number
    retry: number
    skip: boolean
    started_time: number | null
    archived_time: number | null
    inputs: unknown
    outputs: unknown
  }>
  schedule: {
    id: string
    type: string
    times: number
    finished: boolean
    expired: boolean
    due_at: number | null
  } | null
  callbacks: Array<{ id: string; consumed: boolean; data: unknown }>
}

/** A tree's name as `json_extract` answers it: JSON text on MySQL, plain text on SQLite. */
function readName(value: string | null): string | undefined {
  if (value === null || value === undefined || value === '' || value === 'null') return undefined
  if (value.startsWith('"')) {
    const parsed = parseJson(value)
    return typeof parsed === 'string' && parsed !== '' ? parsed : undefined
  }
  return value
}
