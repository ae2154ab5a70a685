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

/** A name for this server process, `host pid N (tag)`, new on each call (see `holderLooksAlive`). */
export function processName(): string {
  return `${hostname()} pid ${process.pid} (${randomBytes(4).toString('hex')})`
}

/**
 * Whether a lease holder (`host pid N (tag)`) is known to run: a server of this machine whose
 * process is alive (and, with this process's pid, one of its own leases rather than an earlier
 * life of this container). Of another machine nothing is known from here.
 */
export function holderLooksAlive(holder: string): boolean {
  const match = /^(.*) pid (\d+) \([0-9a-f]+\)$/.exec(holder)
  if (!match || match[1] !== hostname()) return false
  const pid = Number(match[2])
  return pid === process.pid ? held.has(holder) : isAlive(pid)
}

/** How often a server waiting for a lease to run out looks at it again. */
const WAIT_POLL_MS = 250

/**
 * The lease of the one server that runs the engine over a database. Two servers on one database
 * would both recover and run the same steps. A server that starts while another holds the lease:
 * - refuses at once, naming the holder, when the holder is a live process of this machine;
 * - else waits for the lease to run out (the holder was killed, or is on another machine), and
 *   refuses as soon as the holder renews it, naming it; a lease that runs out is taken.
 * The holder gives the lease up when it stops. A server that finds its lease taken (it could
 * not renew it in time, and another server took it) is told through `onLost`: it must stop
 * running the engine.
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
    this.holder = processName()
  }

  /**
   * Takes the lease, waiting for one left by a server that no longer renews it (`onWait` is told
   * whose, and until when); throws `CONFIGURATION` naming a holder that runs. Answers the holder
   * whose lease ran out, if it waited for one.
   */
  async acquire(
    options: { onWait?: (holder: string, until: number) => void } = {},
  ): Promise<{ tookOverFrom: string | null }> {
    let seen: { holder: string; expiresAt: number } | undefined
    for (;;) {
      // The row exists once; a second insert fails on its key, which is fine.
      await this.#db
        .insertInto('culm_server_lease')
        .values({ name: LEASE, holder: this.holder, expires_at: 0 })
        .execute()
        .catch(() => undefined)
      const now = this.#now()
      const taken = await this.#db
        .updateTable('culm_server_lease')
        .set({ holder: this.holder, expires_at: now + this.#ttlMs })
        .where('name', '=', LEASE)
        .where((eb) => eb.or([eb('expires_at', '<', now), eb('holder', '=', this.holder)]))
        .executeTakeFirst()
      if (Number(taken.numUpdatedRows) === 1) break
      const row = await this.#db
        .selectFrom('culm_server_lease')
        .selectAll()
        .where('name', '=', LEASE)
        .executeTakeFirst()
      if (!row) continue
      const expiresAt = Number(row.expires_at)
      const renewed =
        seen !== undefined && (row.holder !== seen.holder || expiresAt > seen.expiresAt)
      if (renewed || holderLooksAlive(row.holder)) {
        throw new ServerError(
          'CONFIGURATION',
          `another Culm server (${row.holder}) runs the engine on this database; ` +
            `its lease lasts until ${new Date(expiresAt).toISOString()} ` +
            `${renewed ? 'and it renews it' : 'unless it renews it'}: stop it first, or point ` +
            'this server at another database',
        )
      }
      if (!seen) options.onWait?.(row.holder, expiresAt)
      seen = { holder: row.holder, expiresAt }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(WAIT_POLL_MS, Math.max(1, expiresAt - now + 1))),
      )
    }
    this.#timer ??= setInterval(
      () => {
        this.renew().catch(() => undefined)
      },
      Math.max(100, Math.floor(this.#ttlMs / 3)),
    )
    this.#timer.unref()
    held.add(this.holder)
    return { tookOverFrom: seen?.holder ?? null }
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
