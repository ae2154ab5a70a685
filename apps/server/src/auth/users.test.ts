import { openRuntime } from '@culm/store'
import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { migrateServer } from '../db/migrate.js'
import type { ServerDatabase } from '../db/schema.js'
import { TOKEN_CACHE_MS, UserStore } from './users.js'

describe('UserStore tokens over two servers on one database', () => {
  it('stop working on the other server within the cache time once revoked', async () => {
    const opened = await openRuntime('sqlite::memory:')
    try {
      const db = opened.db as unknown as Kysely<ServerDatabase>
      await migrateServer(db, 'sqlite')
      let now = Date.UTC(2026, 0, 1)
      const here = new UserStore(db, () => now)
      const there = new UserStore(db, () => now)
      const { user, token } = await here.create('alice', false)
      const [info] = await here.tokens(user.id)

      expect(await here.authenticate(token)).toEqual(user)
      expect(await there.authenticate(token)).toEqual(user)
      expect(await here.revokeToken(user.id, info!.id)).toBe(true)
      // The server that revoked it refuses at once; the other one may still know it for a while.
      expect(await here.authenticate(token)).toBeUndefined()
      now += TOKEN_CACHE_MS
      expect(await there.authenticate(token)).toBeUndefined()
      expect(await here.revokeToken(user.id, info!.id)).toBe(false)
      // The promise made to operators: a revoked token is refused everywhere within seconds.
      expect(TOKEN_CACHE_MS).toBeLessThanOrEqual(5_000)
    } finally {
      await opened.close()
    }
  })
})
