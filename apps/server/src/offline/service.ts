import type { ComponentRunner, Engine, EngineAPIResult, StateRecord } from '@culm/engine'
import type { Kysely, Selectable } from 'kysely'
import type { PipelineAccessMode } from '../access.js'
import type { User } from '../auth/users.js'
import type { OfflineRunTable, OfflineTemplateTable, ServerDatabase } from '../db/schema.js'
import { codeOf, type Issue, ServerError } from '../errors.js'
import { isoTime } from '../json.js'
import type { PipelineRegistry } from '../pipelines.js'
import { type Dag, dagTree, parseDag } from './dag.js'
import { firstTick, parseSchedule, type Schedule } from './schedule.js'

type Json = Record<string, unknown>
type TemplateRow = Selectable<OfflineTemplateTable>
type RunRow = Selectable<OfflineRunTable>

/** An engine key and the engine id it was given. */
export interface OfflineEngine {
  id: number
  key: string
}

/** A template's body, checked: its DAG and its schedule. */
export interface CheckedTemplate {
  body: Json
  name: string
  pipelineKey: string
  dag: Dag
  schedule: Schedule
}

/** What a run starts from besides its template. */
export interface RunRequest {
  params: Record<string, Record<string, unknown>>
  trigger: 'manual' | 'schedule' | 'resume'
  tickAt?: number
  resumedFrom?: number
  userId: number
}

/** Fields a template's view adds to its body; an update ignores them. */
const VIEW_FIELDS = ['engineId', 'crontabStatus', 'nextFireTime', 'updateTime'] as const

const ENGINE_KEY = /^[A-Za-z0-9][\w.-]{0,63}$/

function invalid(message: string, issues: Issue[]): ServerError {
  return new ServerError(
    'VALIDATION',
    `${message}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    {
      issues,
    },
  )
}

function refused(result: EngineAPIResult): ServerError {
  return new ServerError(
    codeOf(result.exc) === 'INTERNAL' ? 'CONFLICT' : codeOf(result.exc),
    result.message,
    {
      cause: result.exc,
    },
  )
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Offline templates, their schedules and runs, over the engine and the server's tables. */
export class OfflineService {
  readonly #db: Kysely<ServerDatabase>
  readonly #engine: Engine
  readonly #components: ComponentRunner
  readonly #pipelines: PipelineRegistry
  readonly #access: PipelineAccessMode
  readonly #now: () => number
  readonly #server: string

  constructor(deps: {
    db: Kysely<ServerDatabase>
    engine: Engine
    components: ComponentRunner
    pipelines: PipelineRegistry
    access: PipelineAccessMode
    now: () => number
    /** The name of this server process, kept with each run it starts. */
    server: string
  }) {
    this.#db = deps.db
    this.#engine = deps.engine
    this.#components = deps.components
    this.#pipelines = deps.pipelines
    this.#access = deps.access
    this.#now = deps.now
    this.#server = deps.server
  }

  /** The engine of `engineKey`, given an engine id the first time the key is asked for. */
  async engineOf(engineKey: string): Promise<OfflineEngine> {
    if (!ENGINE_KEY.test(engineKey)) {
      throw new ServerError(
        'VALIDATION',
        'engineKey must be 1 to 64 letters, digits, _ . or -, starting with a letter or digit',
        {
          issues: [{ field: 'engineKey', message: 'must be 1 to 64 letters, digits, _ . or -' }],
        },
      )
    }
    const find = () =>
      this.#db
        .selectFrom('culm_offline_engine')
        .select(['id', 'engine_key'])
        .where('engine_key', '=', engineKey)
        .executeTakeFirst()
    let row = await find()
    if (!row) {
      // Two first calls at once: the unique key lets one insert through, both read it.
      await this.#db
        .insertInto('culm_offline_engine')
        .values({ engine_key: engineKey, created_at: this.#now() })
        .execute()
        .catch(() => undefined)
      row = await find()
    }
    if (!row) throw new ServerError('UNAVAILABLE', `engine key ${engineKey} could not be stored`)
    return { id: Number(row.id), key: row.engine_key }
  }

  /** The engine named by an engine URL's id and key; both must belong together. */
  async engine(engineId: number, engineKey: string): Promise<OfflineEngine> {
    const row = await this.#db
      .selectFrom('culm_offline_engine')
      .select(['id', 'engine_key'])
      .where('id', '=', engineId)
      .executeTakeFirst()
    if (!row || row.engine_key !== engineKey) {
      throw new ServerError(
        'NOT_FOUND',
        `no engine ${engineId} with key ${engineKey}: ask /engine-manager/v1/k8s/info/?engineKey= for its url`,
      )
    }
    return { id: Number(row.id), key: row.engine_key }
  }

  /** Checks a template body: its name, pipelineKey, DAG and executionConfig. */
  check(body: unknown): CheckedTemplate {
    if (!isObject(body)) {
      throw invalid('invalid template', [{ field: 'body', message: 'must be a JSON object' }])
    }
    const data = body.data
    if (!isObject(data)) {
      throw invalid('invalid template', [
        { field: 'data', message: 'must be an object with nodes and edges' },
      ])
    }
    const issues: Issue[] = []
    const name = data.name
    if (typeof name !== 'string' || name.trim() === '' || name.length > 255) {
      issues.push({
        field: 'data.name',
        message: 'must be a non-empty string of at most 255 characters',
      })
    }
    const pipelineKey = body.pipelineKey
    if (typeof pipelineKey !== 'string' || !/^[\w.-]{1,128}$/.test(pipelineKey)) {
      issues.push({ field: 'pipelineKey', message: 'must be 1 to 128 letters, digits, _ . or -' })
    }
    const hasComponent = (code: string) => !!this.#components.info({ code, version: 'legacy' })
    const parsed = parseDag(data, hasComponent)
    issues.push(...parsed.issues)
    const schedule = parseSchedule(data.executionConfig)
    issues.push(...schedule.issues)
    if (issues.length > 0 || !parsed.dag || !schedule.schedule)
      throw invalid('invalid template', issues)
    return {
      body,
      name: name as string,
      pipelineKey: pipelineKey as string,
      dag: parsed.dag,
      schedule: schedule.schedule,
    }
  }

  #assertMay(user: User, row: TemplateRow): void {
    if (user.isAdmin || this.#access === 'everyone' || Number(row.creator_id) === user.id) return
    throw new ServerError(
      'FORBIDDEN',
      `you may not read or change pipeline ${row.id}: it belongs to its creator`,
    )
  }

  async #row(engine: OfflineEngine, id: number): Promise<TemplateRow> {
    const row = await this.#db
      .selectFrom('culm_offline_template')
      .selectAll()
      .where('id', '=', id)
      .where('engine_id', '=', engine.id)
      .executeTakeFirst()
    if (!row)
      throw new ServerError('NOT_FOUND', `pipeline ${id} does not exist in engine ${engine.id}`)
    return row
  }

  /** The template `id` of `engine`, if `user` may see it. */
  async template(engine: OfflineEngine, user: User, id: number): Promise<TemplateRow> {
    const row = await this.#row(engine, id)
    this.#assertMay(user, row)
    return row
  }

  /** A template as the API shows it: its body with its id, engine and schedule state. */
  view(row: TemplateRow): Json {
    const body = JSON.parse(row.body) as Json
    return {
      ...body,
      id: Number(row.id),
      pipelineKey: row.pipeline_key,
      createTime: Number(row.created_at),
      updateTime: Number(row.updated_at),
      engineId: Number(row.engine_id),
      crontabStatus: Number(row.schedule_on) === 1 ? 'ON' : 'OFF',
      nextFireTime: row.next_tick_at === null ? null : Number(row.next_tick_at),
    }
  }

  #stored(checked: CheckedTemplate, id: number): string {
    const body: Json = { ...checked.body, id }
    for (const field of VIEW_FIELDS) delete body[field]
    return JSON.stringify(body)
  }

  async #keyTaken(engine: OfflineEngine, key: string, except?: number): Promise<void> {
    let query = this.#db
      .selectFrom('culm_offline_template')
      .select('id')
      .where('engine_id', '=', engine.id)
      .where('pipeline_key', '=', key)
    if (except !== undefined) query = query.where('id', '!=', except)
    if (await query.executeTakeFirst()) {
      throw new ServerError('CONFLICT', `pipelineKey ${key} is taken in engine ${engine.id}`, {
        issues: [{ field: 'pipelineKey', message: 'is taken' }],
      })
    }
  }

  /** Creates a template from a checked body. */
  async create(engine: OfflineEngine, user: User, body: unknown): Promise<Json> {
    const checked = this.check(body)
    await this.#keyTaken(engine, checked.pipelineKey)
    const now = this.#now()
    let id: number
    try {
      const inserted = await this.#db
        .insertInto('culm_offline_template')
        .values({
          engine_id: engine.id,
          pipeline_key: checked.pipelineKey,
          name: checked.name,
          body: '{}',
          creator_id: user.id,
          schedule_on: 0,
          next_tick_at: null,
          created_at: now,
          updated_at: now,
        })
        .executeTakeFirstOrThrow()
      id = Number(inserted.insertId)
    } catch (error) {
      await this.#keyTaken(engine, checked.pipelineKey)
      throw error
    }
    await this.#db
      .updateTable('culm_offline_template')
      .set({ body: this.#stored(checked, id) })
      .where('id', '=', id)
      .execute()
    return this.view(await this.#row(engine, id))
  }

  /** Replaces a template (named by the body's `id`); a switched-on schedule restarts from now. */
  async update(engine: OfflineEngine, user: User, body: unknown): Promise<Json> {
    const id = isObject(body) ? body.id : undefined
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
      throw invalid('invalid template', [
        { field: 'id', message: 'must be the id of the pipeline to update' },
      ])
    }
    const row = await this.template(engine, user, id)
    const checked = this.check(body)
    await this.#keyTaken(engine, checked.pipelineKey, id)
    const now = this.#now()
    const on = Number(row.schedule_on) === 1
    const tick = on ? firstTick(checked.schedule, now) : null
    await this.#db
      .updateTable('culm_offline_template')
      .set({
        pipeline_key: checked.pipelineKey,
        name: checked.name,
        body: this.#stored(checked, id),
        updated_at: now,
        schedule_on: on && tick !== null ? 1 : 0,
        next_tick_at: tick,
      })
      .where('id', '=', id)
      .execute()
    return this.view(await this.#row(engine, id))
  }

  /** The templates of an engine the user may see, newest first. */
  async list(engine: OfflineEngine, user: User): Promise<Json[]> {
    let query = this.#db
      .selectFrom('culm_offline_template')
      .selectAll()
      .where('engine_id', '=', engine.id)
      .orderBy('id', 'desc')
    if (!user.isAdmin && this.#access !== 'everyone')
      query = query.where('creator_id', '=', user.id)
    return (await query.execute()).map((row) => this.view(row))
  }

  /** Switches a template's schedule on: its first tick is `startAt`, or now (CRON: the next match). */
  async switchOn(engine: OfflineEngine, user: User, id: number): Promise<Json> {
    const row = await this.template(engine, user, id)
    const { schedule } = this.check(JSON.parse(row.body))
    if (Number(row.schedule_on) !== 1) {
      const tick = firstTick(schedule, this.#now())
      if (tick === null)
        throw new ServerError('CONFLICT', `the schedule of pipeline ${id} never fires again`)
      await this.#db
        .updateTable('culm_offline_template')
        .set({ schedule_on: 1, next_tick_at: tick })
        .where('id', '=', id)
        .where('schedule_on', '=', 0)
        .execute()
    }
    return this.view(await this.#row(engine, id))
  }

  /** Switches a template's schedule off; runs already started go on. */
  async switchOff(engine: OfflineEngine, user: User, id: number): Promise<Json> {
    await this.template(engine, user, id)
    await this.#db
      .updateTable('culm_offline_template')
      .set({ schedule_on: 0, next_tick_at: null })
      .where('id', '=', id)
      .execute()
    return this.view(await this.#row(engine, id))
  }

  /** Checks per-node parameters against a template's job nodes. */
  checkParams(dag: Dag, value: unknown): Record<string, Record<string, unknown>> {
    if (value === undefined || value === null) return {}
    if (!isObject(value)) {
      throw invalid('invalid parameters', [
        { field: 'body', message: 'must be an object of nodeId → { key: value }' },
      ])
    }
    const jobs = new Set(dag.jobs.map((j) => j.nodeId))
    const issues: Issue[] = []
    for (const [nodeId, params] of Object.entries(value)) {
      if (!jobs.has(nodeId)) {
        issues.push({
          field: nodeId,
          message: `is not a job node of the pipeline (${[...jobs].join(', ') || 'it has none'})`,
        })
      } else if (!isObject(params)) {
        issues.push({ field: nodeId, message: 'must be an object of key → value' })
      }
    }
    if (issues.length > 0) throw invalid('invalid parameters', issues)
    return value as Record<string, Record<string, unknown>>
  }

  /** Starts a run of a template: a new engine pipeline, recorded as its creator's. */
  async startRun(row: TemplateRow, request: RunRequest): Promise<RunRow> {
    const { dag, schedule } = this.check(JSON.parse(row.body))
    const params = this.checkParams(dag, request.params)
    const { tree, nodeMap } = dagTree(dag, params, {
      autoRetry: { times: schedule.retryCount, interval: schedule.retryGapSeconds },
    })
    const now = this.#now()
    const inserted = await this.#db
      .insertInto('culm_offline_run')
      .values({
        template_id: Number(row.id),
        pipeline_id: tree.id,
        node_map: JSON.stringify(nodeMap),
        params: JSON.stringify(params),
        trigger_kind: request.trigger,
        tick_at: request.tickAt ?? null,
        deadline_at: schedule.timeOutMs === null ? null : now + schedule.timeOutMs,
        timed_out: 0,
        resumed_from: request.resumedFrom ?? null,
        user_id: request.userId,
        server: this.#server,
        created_at: now,
      })
      .executeTakeFirstOrThrow()
    const runId = Number(inserted.insertId)
    const answer = await this.#engine.api.runPipeline({
      pipeline: tree,
      rootPipelineData: {
        executor: String(request.userId),
        offline_pipeline_id: Number(row.id),
        offline_run_id: runId,
        pipeline_key: row.pipeline_key,
      },
    })
    if (!answer.result) {
      await this.#db.deleteFrom('culm_offline_run').where('id', '=', runId).execute()
      throw refused(answer)
    }
    await this.#pipelines.record(tree.id, 'bamboo_engine', request.userId)
    return this.#run(runId)
  }

  async #run(id: number): Promise<RunRow> {
    const run = await this.#db
      .selectFrom('culm_offline_run')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    if (!run) throw new ServerError('NOT_FOUND', `pipeline run ${id} does not exist`)
    return run
  }

  /** The run `id` of a template of `engine` that `user` may see, and its template. */
  async run(
    engine: OfflineEngine,
    user: User,
    id: number,
  ): Promise<{ run: RunRow; template: TemplateRow }> {
    const run = await this.#run(id)
    const template = await this.#db
      .selectFrom('culm_offline_template')
      .selectAll()
      .where('id', '=', run.template_id)
      .where('engine_id', '=', engine.id)
      .executeTakeFirst()
    if (!template)
      throw new ServerError('NOT_FOUND', `pipeline run ${id} does not exist in engine ${engine.id}`)
    this.#assertMay(user, template)
    return { run, template }
  }

  async #states(
    run: RunRow,
  ): Promise<{ root: StateRecord | undefined; nodes: Map<string, StateRecord> }> {
    const root = await this.#engine.runtime.getState(run.pipeline_id)
    const nodes = new Map<string, StateRecord>()
    if (root)
      for (const s of await this.#engine.runtime.getStatesByRoot(run.pipeline_id))
        nodes.set(s.nodeId, s)
    return { root, nodes }
  }

  /** A run's state: the engine's, but `FAILED` while a node has failed in a running pipeline. */
  #stateOf(root: StateRecord | undefined, failed: boolean): string {
    if (!root) return 'READY'
    return root.name === 'RUNNING' && failed ? 'FAILED' : root.name
  }

  /** One run as the history shows it, with its nodes' states. */
  async runView(run: RunRow, template: TemplateRow): Promise<Json> {
    const { root, nodes } = await this.#states(run)
    const nodeMap = JSON.parse(run.node_map) as Record<string, string>
    const names = nodeNames(JSON.parse(template.body))
    const nodeViews = Object.entries(nodeMap).map(([nodeId, engineId]) => {
      const s = nodes.get(engineId)
      return {
        nodeId,
        name: names.get(nodeId) ?? nodeId,
        engineNodeId: engineId,
        status: s?.name ?? (root ? 'READY' : 'CREATED'),
        retry: s?.retry ?? 0,
        startTime: isoTime(s?.startedTime ?? null),
        endTime: isoTime(s?.archivedTime ?? null),
      }
    })
    return {
      id: Number(run.id),
      pipelineRunId: Number(run.id),
      pipelineId: Number(run.template_id),
      enginePipelineId: run.pipeline_id,
      status: this.#stateOf(
        root,
        nodeViews.some((n) => n.status === 'FAILED'),
      ),
      trigger: run.trigger_kind,
      server: run.server,
      tickTime: run.tick_at === null ? null : Number(run.tick_at),
      timedOut: Number(run.timed_out) === 1,
      resumedFrom: run.resumed_from === null ? null : Number(run.resumed_from),
      params: JSON.parse(run.params),
      createTime: Number(run.created_at),
      startTime: isoTime(root?.startedTime ?? null),
      endTime: isoTime(root?.archivedTime ?? null),
      nodes: nodeViews,
    }
  }

  /** A page of a template's runs, newest first. */
  async history(template: TemplateRow, page: number, size: number): Promise<Json> {
    const total = await this.#db
      .selectFrom('culm_offline_run')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('template_id', '=', template.id)
      .executeTakeFirstOrThrow()
    const runs = await this.#db
      .selectFrom('culm_offline_run')
      .selectAll()
      .where('template_id', '=', template.id)
      .orderBy('id', 'desc')
      .limit(size)
      .offset((page - 1) * size)
      .execute()
    return {
      total: Number(total.n),
      page,
      size,
      list: await Promise.all(runs.map((run) => this.runView(run, template))),
    }
  }

  /** Stops a run: revokes its pipeline. An ended run is a `CONFLICT`. */
  async stopRun(run: RunRow): Promise<void> {
    const answer = await this.#engine.api.revokePipeline({ pipelineId: run.pipeline_id })
    if (!answer.result) throw refused(answer)
    await this.#db
      .updateTable('culm_offline_run')
      .set({ deadline_at: null })
      .where('id', '=', run.id)
      .execute()
  }

  /**
   * Resumes a run: a paused one goes on, a running one with failed nodes retries them, a stopped
   * (revoked) one starts again as a new run with the same parameters. A finished or healthy
   * running run is a `CONFLICT`.
   */
  async resumeRun(run: RunRow, template: TemplateRow, user: User): Promise<Json> {
    const { root, nodes } = await this.#states(run)
    const api = this.#engine.api
    const failed = [...nodes.values()].filter(
      (s) => s.name === 'FAILED' && s.nodeId !== run.pipeline_id,
    )
    if (root?.name === 'SUSPENDED') {
      const answer = await api.resumePipeline({ pipelineId: run.pipeline_id })
      if (!answer.result) throw refused(answer)
    } else if (root?.name === 'RUNNING' && failed.length > 0) {
      for (const node of failed) {
        const answer = await api.retryNode({ nodeId: node.nodeId })
        if (!answer.result) throw refused(answer)
      }
    } else if (root?.name === 'REVOKED') {
      const again = await this.startRun(template, {
        params: JSON.parse(run.params),
        trigger: 'resume',
        resumedFrom: Number(run.id),
        userId: user.id,
      })
      return this.runView(again, template)
    } else {
      throw new ServerError(
        'CONFLICT',
        `pipeline run ${run.id} is ${this.#stateOf(root, false)}: only a stopped, failed or paused run resumes`,
      )
    }
    return this.runView(await this.#run(Number(run.id)), template)
  }

  /** The template `id`, whatever its engine and owner (for the scheduler). */
  async templateById(id: number): Promise<TemplateRow | undefined> {
    return this.#db
      .selectFrom('culm_offline_template')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
  }

  /** The user a scheduled run is started as: the template's creator. */
  creatorOf(row: TemplateRow): number {
    return Number(row.creator_id)
  }

  /** Revokes a run whose timeOut has passed, unless it has ended; true when it was stopped. */
  async stopIfLate(run: RunRow): Promise<boolean> {
    const root = await this.#engine.runtime.getState(run.pipeline_id)
    const late =
      !!root && root.archivedTime === null && root.name !== 'REVOKED' && root.name !== 'FINISHED'
    // Whoever clears the deadline handles it: one process per run, however many run the loop.
    const claimed = await this.#db
      .updateTable('culm_offline_run')
      .set({ deadline_at: null, timed_out: late ? 1 : 0 })
      .where('id', '=', run.id)
      .where('deadline_at', '=', run.deadline_at)
      .executeTakeFirst()
    if (Number(claimed.numUpdatedRows) !== 1 || !late) return false
    const answer = await this.#engine.api.revokePipeline({ pipelineId: run.pipeline_id })
    return answer.result
  }
}

/** The titles of a template's nodes by node id, read without checking the template again. */
function nodeNames(body: Json): Map<string, string> {
  const names = new Map<string, string>()
  const nodes = isObject(body.data) ? body.data.nodes : undefined
  if (!Array.isArray(nodes)) return names
  for (const node of nodes) {
    if (!isObject(node) || typeof node.nodeId !== 'string') continue
    const name = typeof node.title === 'string' ? node.title : node.name
    names.set(node.nodeId, typeof name === 'string' ? name : node.nodeId)
  }
  return names
}
