import type { ComponentRunner } from '@culm/engine'
import type { Kysely, Selectable } from 'kysely'
import type { PipelineAccessMode } from '../access.js'
import type { User } from '../auth/users.js'
import type { OfflineTemplateTable, ServerDatabase } from '../db/schema.js'
import { type Issue, ServerError } from '../errors.js'
import { invalid, isObject, type Json } from './checks.js'
import { type Dag, parseDag } from './dag.js'
import { firstTick, parseSchedule, type Schedule } from './schedule.js'

/** A template as the database keeps it. */
export type TemplateRow = Selectable<OfflineTemplateTable>

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

/** Fields a template's view adds to its body; an update ignores them. */
const VIEW_FIELDS = ['engineId', 'crontabStatus', 'nextFireTime', 'updateTime'] as const

const ENGINE_KEY = /^[A-Za-z0-9][\w.-]{0,63}$/

/** Engine keys, and the DAG templates of each with their schedules' state. */
export class OfflineTemplates {
  readonly #db: Kysely<ServerDatabase>
  readonly #components: ComponentRunner
  readonly #access: PipelineAccessMode
  readonly #now: () => number
  readonly #timezone: string

  constructor(deps: {
    db: Kysely<ServerDatabase>
    components: ComponentRunner
    access: PipelineAccessMode
    now: () => number
    /** The time zone of cron expressions that name none. */
    timezone: string
  }) {
    this.#db = deps.db
    this.#components = deps.components
    this.#access = deps.access
    this.#now = deps.now
    this.#timezone = deps.timezone
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
    const schedule = parseSchedule(data.executionConfig, { timezone: this.#timezone })
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

  /** Refuses (403) a user who may not read or change a template. */
  assertMay(user: User, row: TemplateRow): void {
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
    this.assertMay(user, row)
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

  #stored(checked: CheckedTemplate, id?: number): string {
    const body: Json = id === undefined ? { ...checked.body } : { ...checked.body, id }
    for (const field of VIEW_FIELDS) delete body[field]
    return JSON.stringify(body)
  }

  /**
   * Runs a write that sets a template's `pipelineKey`: refused up front when the key is taken,
   * and, when another call took it meanwhile (the unique key refuses the write), answered the
   * same way rather than with the database's error.
   */
  async #withKey<T>(
    engine: OfflineEngine,
    key: string,
    except: number | undefined,
    write: () => Promise<T>,
  ): Promise<T> {
    await this.#keyTaken(engine, key, except)
    try {
      return await write()
    } catch (error) {
      await this.#keyTaken(engine, key, except)
      throw error
    }
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
  async create(engine: OfflineEngine, user: User, checked: CheckedTemplate): Promise<Json> {
    const now = this.#now()
    const inserted = await this.#withKey(engine, checked.pipelineKey, undefined, () =>
      this.#db
        .insertInto('culm_offline_template')
        .values({
          engine_id: engine.id,
          pipeline_key: checked.pipelineKey,
          name: checked.name,
          body: this.#stored(checked),
          creator_id: user.id,
          schedule_on: 0,
          next_tick_at: null,
          created_at: now,
          updated_at: now,
        })
        .executeTakeFirstOrThrow(),
    )
    return this.view(await this.#row(engine, Number(inserted.insertId)))
  }

  /** Replaces a template (named by the body's `id`); a switched-on schedule restarts from now. */
  async update(engine: OfflineEngine, user: User, checked: CheckedTemplate): Promise<Json> {
    const id = checked.body.id
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
      throw invalid('invalid template', [
        { field: 'id', message: 'must be the id of the pipeline to update' },
      ])
    }
    const row = await this.template(engine, user, id)
    const now = this.#now()
    const on = Number(row.schedule_on) === 1
    const tick = on ? firstTick(checked.schedule, now) : null
    await this.#withKey(engine, checked.pipelineKey, id, () =>
      this.#db
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
        .execute(),
    )
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
}
