import type { Engine, EngineAPIResult, StateRecord } from '@culm/engine'
import type { Kysely, Selectable } from 'kysely'
import type { User } from '../auth/users.js'
import type { OfflineRunTable, ServerDatabase } from '../db/schema.js'
import { codeOf, type Issue, ServerError } from '../errors.js'
import { isoTime } from '../json.js'
import type { PipelineRegistry } from '../pipelines.js'
import { invalid, isObject, type Json } from './checks.js'
import { type Dag, dagTree } from './dag.js'
import type { CheckedTemplate, OfflineEngine, OfflineTemplates, TemplateRow } from './templates.js'

/** A run as the database keeps it. */
export type RunRow = Selectable<OfflineRunTable>

/** What a run starts from besides its template. */
export interface RunRequest {
  params: Record<string, Record<string, unknown>>
  trigger: 'manual' | 'schedule' | 'resume'
  tickAt?: number
  resumedFrom?: number
  userId: number
}

/** An engine refusal as a server error; one without a known code is a state the call does not fit. */
function refused(result: EngineAPIResult): ServerError {
  return new ServerError(
    codeOf(result.exc) === 'INTERNAL' ? 'CONFLICT' : codeOf(result.exc),
    result.message,
    {
      cause: result.exc,
    },
  )
}

/** The runs of templates: each an engine pipeline, with its history, stop and resume. */
export class OfflineRuns {
  readonly #db: Kysely<ServerDatabase>
  readonly #engine: Engine
  readonly #pipelines: PipelineRegistry
  readonly #templates: OfflineTemplates
  readonly #now: () => number
  readonly #server: string

  constructor(deps: {
    db: Kysely<ServerDatabase>
    engine: Engine
    pipelines: PipelineRegistry
    templates: OfflineTemplates
    now: () => number
    /** The name of this server process, kept with each run it starts. */
    server: string
  }) {
    this.#db = deps.db
    this.#engine = deps.engine
    this.#pipelines = deps.pipelines
    this.#templates = deps.templates
    this.#now = deps.now
    this.#server = deps.server
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
  async start(row: TemplateRow, checked: CheckedTemplate, request: RunRequest): Promise<RunRow> {
    const { dag, schedule } = checked
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
    this.#templates.assertMay(user, template)
    return { run, template }
  }

  async #states(
    run: RunRow,
  ): Promise<{ root: StateRecord | undefined; nodes: Map<string, StateRecord> }> {
    const nodes = new Map<string, StateRecord>()
    // The root's own state is one of its root's states.
    for (const s of await this.#engine.runtime.getStatesByRoot(run.pipeline_id))
      nodes.set(s.nodeId, s)
    return { root: nodes.get(run.pipeline_id), nodes }
  }

  /** A run's state: the engine's, but `FAILED` while a node has failed in a running pipeline. */
  #stateOf(root: StateRecord | undefined, failed: boolean): string {
    if (!root) return 'READY'
    return root.name === 'RUNNING' && failed ? 'FAILED' : root.name
  }

  /** One run as the history shows it, with its nodes' states. */
  async view(
    run: RunRow,
    template: TemplateRow,
    names: Map<string, string> = nodeNames(JSON.parse(template.body)),
  ): Promise<Json> {
    const { root, nodes } = await this.#states(run)
    const nodeMap = JSON.parse(run.node_map) as Record<string, string>
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
    const names = nodeNames(JSON.parse(template.body))
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
      list: await Promise.all(runs.map((run) => this.view(run, template, names))),
    }
  }

  /** Stops a run: revokes its pipeline. An ended run is a `CONFLICT`. */
  async stop(run: RunRow): Promise<void> {
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
  async resume(run: RunRow, template: TemplateRow, user: User): Promise<Json> {
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
      const again = await this.start(template, this.#templates.check(JSON.parse(template.body)), {
        params: JSON.parse(run.params),
        trigger: 'resume',
        resumedFrom: Number(run.id),
        userId: user.id,
      })
      return this.view(again, template)
    } else {
      throw new ServerError(
        'CONFLICT',
        `pipeline run ${run.id} is ${this.#stateOf(root, false)}: only a stopped, failed or paused run resumes`,
      )
    }
    return this.view(await this.#run(Number(run.id)), template)
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
