import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { ServerDatabase } from '../db/schema.js'
import type { OfflineRuns } from './runs.js'
import { nextTick } from './schedule.js'
import type { CheckedTemplate, OfflineTemplates, TemplateRow } from './templates.js'

/**
 * Fires the ticks of switched-on schedules and stops runs past their `timeOut`, every `pollMs`.
 * The schedules live in the database, so they survive restarts. Several servers may run the loop
 * over one database: a tick is claimed by a compare-and-set of the template's `next_tick_at`
 * (one process moves it on, the others find it moved), and the run's unique `(template, tick)`
 * key refuses a second run of the same tick. A tick found overdue (no server ran when it fell
 * due) fires once, and the schedule goes on from the present: missed ticks are not replayed.
 */
export class OfflineScheduler {
  readonly #db: Kysely<ServerDatabase>
  readonly #templates: OfflineTemplates
  readonly #runs: OfflineRuns
  readonly #now: () => number
  readonly #pollMs: number
  readonly #logger: Logger
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<void> | undefined
  #closed = false

  constructor(deps: {
    db: Kysely<ServerDatabase>
    templates: OfflineTemplates
    runs: OfflineRuns
    now: () => number
    pollMs: number
    logger: Logger
  }) {
    this.#db = deps.db
    this.#templates = deps.templates
    this.#runs = deps.runs
    this.#now = deps.now
    this.#pollMs = deps.pollMs
    this.#logger = deps.logger
  }

  /** Starts the loop. */
  start(): void {
    if (this.#closed || this.#timer) return
    this.#timer = setTimeout(() => this.#loop(), this.#pollMs)
    this.#timer.unref()
  }

  #loop(): void {
    this.#running = this.tick()
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'offline schedule pass failed'))
      .finally(() => {
        this.#running = undefined
        this.#timer = undefined
        if (!this.#closed) this.start()
      })
  }

  /** One pass: fires the due ticks, then stops the late runs. */
  async tick(): Promise<void> {
    const now = this.#now()
    const due = await this.#db
      .selectFrom('culm_offline_template')
      .selectAll()
      .where('schedule_on', '=', 1)
      .where('next_tick_at', '<=', now)
      .orderBy('next_tick_at')
      .limit(100)
      .execute()
    for (const row of due) {
      if (this.#closed) return
      await this.#fire(row, Number(row.next_tick_at)).catch((error: unknown) =>
        this.#logger.warn({ err: error, pipeline: Number(row.id) }, 'offline tick failed'),
      )
    }
    const late = await this.#db
      .selectFrom('culm_offline_run')
      .selectAll()
      .where('deadline_at', '<=', now)
      .limit(100)
      .execute()
    for (const run of late) {
      if (this.#closed) return
      const stopped = await this.#runs.stopIfLate(run).catch((error: unknown) => {
        this.#logger.warn({ err: error, run: Number(run.id) }, 'stopping a late run failed')
        return false
      })
      if (stopped) this.#logger.info({ run: Number(run.id) }, 'offline run stopped: timeOut passed')
    }
  }

  /**
   * Fires a due template's tick. The row is as the pass read it: a change since moved its
   * `next_tick_at` on, so the claim below (and the switch-off) find nothing to change.
   */
  async #fire(row: TemplateRow, tick: number): Promise<void> {
    const id = Number(row.id)
    const now = this.#now()
    let checked: CheckedTemplate
    try {
      checked = this.#templates.check(JSON.parse(row.body))
    } catch (error) {
      const off = await this.#db
        .updateTable('culm_offline_template')
        .set({ schedule_on: 0, next_tick_at: null })
        .where('id', '=', id)
        .where('next_tick_at', '=', tick)
        .executeTakeFirst()
      if (Number(off.numUpdatedRows) !== 1) return
      this.#logger.warn(
        { err: error, pipeline: id },
        'offline schedule switched off: its template no longer checks',
      )
      return
    }
    const { schedule } = checked
    if (tick + schedule.delayMs > now) return
    const next = nextTick(schedule, tick, now)
    const claimed = await this.#db
      .updateTable('culm_offline_template')
      .set({ next_tick_at: next, schedule_on: next === null ? 0 : 1 })
      .where('id', '=', id)
      .where('schedule_on', '=', 1)
      .where('next_tick_at', '=', tick)
      .executeTakeFirst()
    if (Number(claimed.numUpdatedRows) !== 1) return
    const run = await this.#runs.start(row, checked, {
      params: {},
      trigger: 'schedule',
      tickAt: tick,
      userId: Number(row.creator_id),
    })
    this.#logger.info({ pipeline: id, run: Number(run.id), tick }, 'offline schedule fired')
  }

  /** Stops the loop and waits for the pass under way. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running
  }
}
