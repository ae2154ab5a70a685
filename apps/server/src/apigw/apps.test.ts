import { openRuntime } from '@culm/store'
import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { migrateServer } from '../db/migrate.js'
import type { ServerDatabase } from '../db/schema.js'
import { AppStore, hashSecret, verifySecret } from './apps.js'

describe('app secrets', () => {
  it('keeps a salted scrypt hash that only the same secret matches', async () => {
    const stored = await hashSecret('esb-test-secret-0001')
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/)
    expect(stored).not.toContain('esb-test-secret-0001')
    expect(await verifySecret('esb-test-secret-0001', stored)).toBe(true)
    expect(await verifySecret('esb-test-secret-0002', stored)).toBe(false)
    expect(await hashSecret('esb-test-secret-0001')).not.toBe(stored)
  })

  it('refuses a stored value that is not an scrypt hash', async () => {
    expect(await verifySecret('x', 'plain-secret')).toBe(false)
    expect(await verifySecret('x', 'scrypt$16384$8$1$$')).toBe(false)
  })
})

describe('AppStore.authenticate', () => {
  it('pays one scrypt of the same cost for an unknown code as for a wrong secret', async () => {
    const opened = await openRuntime('sqlite::memory:')
    try {
      const db = opened.db as unknown as Kysely<ServerDatabase>
      await migrateServer(db, 'sqlite')
      const checked: string[] = []
      const apps = new AppStore(db, Date.now, (secret, stored) => {
        checked.push(stored)
        return verifySecret(secret, stored)
      })
      const { secret } = await apps.create('esb_known', { secret: 'esb-known-secret-01' })
      const known = (await apps.get('esb_known'))!

      expect(await apps.authenticate('esb_known', 'a-wrong-secret-000')).toBeUndefined()
      expect(await apps.authenticate('esb_nobody', 'a-wrong-secret-000')).toBeUndefined()
      // Even the known secret of another code: the decoy matches nothing.
      expect(await apps.authenticate('esb_nobody', secret)).toBeUndefined()
      expect(checked).toHaveLength(3)
      const cost = (stored: string) => stored.split('$').slice(0, 4).join('$')
      expect(checked.map(cost)).toEqual(Array(3).fill('scrypt$16384$8$1'))
      expect(checked[1]).not.toBe(checked[0])

      expect(await apps.authenticate('esb_known', secret)).toEqual(known)
      expect(checked).toHaveLength(4)
      // Remembered for a while: a busy app pays no scrypt per call.
      expect(await apps.authenticate('esb_known', secret)).toEqual(known)
      expect(checked).toHaveLength(4)
    } finally {
      await opened.close()
    }
  })
})
