import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { openRuntime } from '@culm/store'
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { migrateServer } from './db/migrate.js'
import type { ServerDatabase } from './db/schema.js'
import { EngineLease, holderLooksAlive } from './lease.js'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function database(): Promise<Kysely<ServerDatabase>> {
  const opened = await openRuntime('sqlite::memory:')
  closers.push(() => opened.close())
  const db = opened.db as unknown as Kysely<ServerDatabase>
  await migrateServer(db, 'sqlite')
  return db
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  })
  return Number(child.stdout)
}

/** Puts a lease of `holder` lasting `ms` more in the table, as a server that stopped left it. */
async function leftBehind(db: Kysely<ServerDatabase>, holder: string, ms: number) {
  await db
    .insertInto('culm_server_lease')
    .values({ name: 'engine', holder, expires_at: Date.now() + ms })
    .execute()
}

describe('EngineLease', () => {
  it('refuses a second server at once while a live server of this machine holds it', async () => {
    const db = await database()
    let now = 1_000_000
    const first = new EngineLease(db, { ttlMs: 30_000, now: () => now })
    expect(await first.acquire()).toEqual({ tookOverFrom: null })
    closers.push(() => first.release())
    const second = new EngineLease(db, { ttlMs: 30_000, now: () => now })
    await expect(second.acquire()).rejects.toThrow(
      `another Culm server (${first.holder}) runs the engine on this database`,
    )
    // Past its time, unrenewed, it goes to the next server.
    now += 30_001
    expect(await second.acquire()).toEqual({ tookOverFrom: null })
    await second.release()
  })

  it('waits for the lease of a server whose process is gone to run out, then takes it', async () => {
    const db = await database()
    const gone = `${hostname()} pid ${deadPid()} (0badc0de)`
    await leftBehind(db, gone, 400)
    const waited: string[] = []
    const next = new EngineLease(db)
    expect(await next.acquire({ onWait: (holder) => waited.push(holder) })).toEqual({
      tookOverFrom: gone,
    })
    expect(waited).toEqual([gone])
    await next.release()
  })

  it('waits for a lease of another machine, and refuses once its holder renews it', async () => {
    const db = await database()
    const elsewhere = 'elsewhere.example pid 4242 (0badc0de)'
    await leftBehind(db, elsewhere, 600)
    const next = new EngineLease(db)
    const acquiring = next.acquire()
    await new Promise((resolve) => setTimeout(resolve, 150))
    await db
      .updateTable('culm_server_lease')
      .set({ expires_at: Date.now() + 30_000 })
      .where('name', '=', 'engine')
      .execute()
    await expect(acquiring).rejects.toThrow(
      `another Culm server (${elsewhere}) runs the engine on this database; its lease lasts until`,
    )
    await expect(acquiring).rejects.toThrow(/and it renews it/)
  })

  it('knows a live process of this machine, not one of another machine or an earlier life', async () => {
    expect(holderLooksAlive(`${hostname()} pid ${process.ppid} (0badc0de)`)).toBe(true)
    expect(holderLooksAlive(`${hostname()} pid ${deadPid()} (0badc0de)`)).toBe(false)
    expect(holderLooksAlive(`elsewhere.example pid ${process.pid} (0badc0de)`)).toBe(false)
    // This process's pid under a tag it does not hold: an earlier life of this container.
    expect(holderLooksAlive(`${hostname()} pid ${process.pid} (0badc0de)`)).toBe(false)
    const db = await database()
    const live = new EngineLease(db)
    await live.acquire()
    expect(holderLooksAlive(live.holder)).toBe(true)
    await live.release()
    expect(holderLooksAlive(live.holder)).toBe(false)
  })

  it('tells a server whose lease another server took that it lost it, once', async () => {
    const db = await database()
    let now = 1_000_000
    const lost: string[] = []
    const stalled = new EngineLease(db, {
      ttlMs: 30_000,
      now: () => now,
      onLost: (holder) => lost.push(holder),
    })
    await stalled.acquire()
    now += 10_000
    await stalled.renew()
    expect(lost).toEqual([])
    // It stalls past its lease; another server takes the engine over.
    now += 30_001
    const next = new EngineLease(db, { ttlMs: 30_000, now: () => now })
    await next.acquire()
    await stalled.renew()
    await stalled.renew()
    expect(lost).toEqual([next.holder])
    // The lease stays with the server that took it.
    await stalled.release()
    await expect(new EngineLease(db, { now: () => now }).acquire()).rejects.toThrow(next.holder)
    await next.release()
  })
})
