import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { openRuntime } from '@culm/store'
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { migrateServer } from './db/migrate.js'
import type { ServerDatabase } from './db/schema.js'
import { EngineLease, holderIsGone } from './lease.js'

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

describe('EngineLease', () => {
  it('refuses a second server while the first holds the lease, naming it', async () => {
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

  it('takes over at once from a server of this machine whose process is gone', async () => {
    const db = await database()
    const gone = `${hostname()} pid ${deadPid()} (0badc0de)`
    await db
      .insertInto('culm_server_lease')
      .values({ name: 'engine', holder: gone, expires_at: Date.now() + 60_000 })
      .execute()
    expect(holderIsGone(gone)).toBe(true)
    const next = new EngineLease(db)
    expect(await next.acquire()).toEqual({ tookOverFrom: gone })
    await next.release()
  })

  it('does not take over from a live process, nor from another machine', async () => {
    expect(holderIsGone(`${hostname()} pid ${process.ppid} (0badc0de)`)).toBe(false)
    expect(holderIsGone(`elsewhere.example pid ${deadPid()} (0badc0de)`)).toBe(false)
    // This process's pid under a tag it does not hold: an earlier life of this container.
    expect(holderIsGone(`${hostname()} pid ${process.pid} (0badc0de)`)).toBe(true)
    const db = await database()
    const live = new EngineLease(db)
    await live.acquire()
    expect(holderIsGone(live.holder)).toBe(false)
    await live.release()
    expect(holderIsGone(live.holder)).toBe(true)
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
