import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Kysely } from 'kysely'
import type { ServerDatabase } from './db/schema.js'
import { ServerError } from './errors.js'

const LEASE = 'engine'

/** Whether process `pid` of this machine is alive (one we may not signal is alive too). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** The leases this process holds. */
const held = new Set<string>()

/**
 * Whether a lease holder (`host pid N (tag)`) is a server of this machine that no longer runs:
 * its process is gone, or it had this process's pid but is none of its leases (an earlier life
 * of this container, whose processes start with the same pids).
 */
export function holderIsGone(holder: string): boolean {
  const match = /^(.*) pid (\d+) \([0-9a-f]+\)$/.exec(holder)
  if (!match || match[1] !== hostname()) return false
  const pid = Number(match[2])
  return pid === process.pid ? !held.has(holder) : !isAlive(pid)
}

/**
 * The lease of the one server that runs the engine over a database. Two servers on one database
 * would both recover and run the same steps; the second to start finds the lease held and
 * refuses to start, naming the holder, until the holder stops (releasing it) or stops renewing
 * it (killed: it expires after `ttlMs`). A holder of this machine whose process is gone is
 * taken over at once. A server that finds its lease taken (it could not renew it in time, and
 * another server took it) is told through `onLost`: it must stop running the engine.
 */
export class EngineLease {
  readonly holder: string
  readonly #db: Kysely<ServerDatabase>
  readonly #ttlMs: number
  readonly #now: () => number
  readonly #onLost: (holder: string) => void
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(
    db: Kysely<ServerDatabase>,
    options: { ttlMs?: number; now?: () => number; onLost?: (holder: string) => void } = {},
  ) {
    this.#db = db
    this.#ttlMs = options.ttlMs ?? 30_000
    this.#now = options.now ?? Date.now
    this.#onLost = options.onLost ?? (() => {})
    this.holder = `${hostname()} pid ${process.pid} (${randomBytes(4).toString('hex')})`
  }

  /**
   * Takes the lease, or throws `CONFIGURATION` naming who holds it and until when. Answers the
   * holder it took over from when that was a server of this machine that no longer runs.
   */
  async acquire(): Promise<{ tookOverFrom: string | null }> {
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
    let tookOverFrom: string | null = null
    if (Number(taken.numUpdatedRows) !== 1) {
      const row = await this.#db
        .selectFrom('culm_server_lease')
        .selectAll()
        .where('name', '=', LEASE)
        .executeTakeFirst()
      if (row && holderIsGone(row.holder)) {
        const takenOver = await this.#db
          .updateTable('culm_server_lease')
          .set({ holder: this.holder, expires_at: expiresAt })
          .where('name', '=', LEASE)
          .where('holder', '=', row.holder)
          .executeTakeFirst()
        if (Number(takenOver.numUpdatedRows) === 1) tookOverFrom = row.holder
      }
      if (tookOverFrom === null) {
        throw new ServerError(
          'CONFIGURATION',
          `another Culm server (${row?.holder ?? 'unknown'}) runs the engine on this database; ` +
            `its lease lasts until ${new Date(Number(row?.expires_at ?? now)).toISOString()} ` +
            'unless it renews it: stop it first, or point this server at another database',
        )
      }
    }
    this.#timer ??= setInterval(
      () => {
        this.renew().catch(() => undefined)
      },
      Math.max(100, Math.floor(this.#ttlMs / 3)),
    )
    this.#timer.unref()
    held.add(this.holder)
    return { tookOverFrom }
  }

  /** Renews the lease; finding it held by another server, stops renewing and calls `onLost`. */
  async renew(): Promise<void> {
    const renewed = await this.#db
      .updateTable('culm_server_lease')
      .set({ expires_at: this.#now() + this.#ttlMs })
      .where('name', '=', LEASE)
      .where('holder', '=', this.holder)
      .executeTakeFirst()
    if (Number(renewed.numUpdatedRows) === 1 || this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    held.delete(this.holder)
    const row = await this.#db
      .selectFrom('culm_server_lease')
      .select('holder')
      .where('name', '=', LEASE)
      .executeTakeFirst()
    this.#onLost(row?.holder ?? 'nobody')
  }

  /** Gives the lease up, so that the next server may start at once. */
  async release(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    held.delete(this.holder)
    await this.#db
      .deleteFrom('culm_server_lease')
      .where('name', '=', LEASE)
      .where('holder', '=', this.holder)
      .execute()
  }
}
