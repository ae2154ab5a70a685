import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Kysely } from 'kysely'
import type { ServerDatabase } from './db/schema.js'
import { ServerError } from './errors.js'

const LEASE = 'engine'

/**
 * The lease of the one server that runs the engine over a database. Two servers on one database
 * would both recover and run the same steps; the second to start finds the lease held and
 * refuses to start, naming the holder, until the holder stops (releasing it) or stops renewing
 * it (killed: it expires after `ttlMs`).
 */
export class EngineLease {
  readonly holder: string
  readonly #db: Kysely<ServerDatabase>
  readonly #ttlMs: number
  readonly #now: () => number
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(db: Kysely<ServerDatabase>, options: { ttlMs?: number; now?: () => number } = {}) {
    this.#db = db
    this.#ttlMs = options.ttlMs ?? 30_000
    this.#now = options.now ?? Date.now
    this.holder = `${hostname()} pid ${process.pid} (${randomBytes(4).toString('hex')})`
  }

  /** Takes the lease, or throws `CONFIGURATION` naming who holds it and until when. */
  async acquire(): Promise<void> {
    const now = this.#now()
    const expiresAt = now + this.#ttlMs
    // The row exists once; a second insert fails on its key, which is fine.
    await this.#db
      .insertInto('culm_server_lease')
      .values({ name: LEASE, holder: this.holder, expires_at: 0 })
      .execute()
      .catch(() => undefined)
    const taken = await this.#db
      .updateTable('culm_server_lease')
      .set({ holder: this.holder, expires_at: expiresAt })
      .where('name', '=', LEASE)
      .where((eb) => eb.or([eb('expires_at', '<', now), eb('holder', '=', this.holder)]))
      .executeTakeFirst()
    if (Number(taken.numUpdatedRows) !== 1) {
      const held = await this.#db
        .selectFrom('culm_server_lease')
        .selectAll()
        .where('name', '=', LEASE)
        .executeTakeFirst()
      throw new ServerError(
        'CONFIGURATION',
        `another Culm server (${held?.holder ?? 'unknown'}) runs the engine on this database; ` +
          `its lease lasts until ${new Date(Number(held?.expires_at ?? now)).toISOString()} ` +
          'unless it renews it: stop it first, or point this server at another database',
      )
    }
    this.#timer ??= setInterval(
      () => {
        this.#renew().catch(() => undefined)
      },
      Math.max(100, Math.floor(this.#ttlMs / 3)),
    )
    this.#timer.unref()
  }

  async #renew(): Promise<void> {
    await this.#db
      .updateTable('culm_server_lease')
      .set({ expires_at: this.#now() + this.#ttlMs })
      .where('name', '=', LEASE)
      .where('holder', '=', this.holder)
      .execute()
  }

  /** Gives the lease up, so that the next server may start at once. */
  async release(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#db
      .deleteFrom('culm_server_lease')
      .where('name', '=', LEASE)
      .where('holder', '=', this.holder)
      .execute()
  }
}
