import { sql } from 'kysely'
import { NO_MIGRATIONS } from 'kysely/migration'
import { afterAll, describe, expect, it } from 'vitest'
import { createMigrator, MIGRATION_TABLE, migrateToLatest, storeMigrations } from './migrations.js'
import { openRuntime } from './open-runtime.js'
import { DATABASES, openTestStore, tempFolder, testUrl } from './test-databases.js'
import { createScratchDatabase } from './testing.js'

const TABLES = [
  'culm_callbacks',
  'culm_context_values',
  'culm_data',
  'culm_execution_data',
  'culm_histories',
  'culm_nodes',
  'culm_pipelines',
  'culm_processes',
  'culm_schedules',
  'culm_states',
]

for (const database of DATABASES) {
  describe(`migrations on ${database}`, () => {
    const folder = tempFolder()
    afterAll(() => folder.remove())

    it('migrate to latest once, and are a no-op every time after', async () => {
      const store = await openTestStore(database, folder.path)
      try {
        expect(await migrateToLatest(store.db, store.flavor)).toEqual([])
        const applied = await store.db
          .selectFrom(MIGRATION_TABLE as never)
          .select(sql<string>`name`.as('name'))
          .execute()
        expect(applied.map((m) => m.name)).toEqual(Object.keys(storeMigrations(store.flavor)))
        const tables = (await store.db.introspection.getTables()).map((t) => t.name)
        expect(tables).toEqual(expect.arrayContaining(TABLES))
      } finally {
        await store.close()
      }
      const again = await openRuntime(testUrl(database, folder.path))
      await again.close()
    })

    it('migrate down to nothing and up again', async () => {
      const scratch = database === 'mysql' ? await createScratchDatabase() : undefined
      const store = await openRuntime(scratch?.url ?? `sqlite:${folder.path}/down-up.db`)
      try {
        const migrator = createMigrator(store.db, store.flavor)
        const down = await migrator.migrateTo(NO_MIGRATIONS)
        expect(down.error).toBeUndefined()
        const left = (await store.db.introspection.getTables()).map((t) => t.name)
        expect(left.filter((t) => TABLES.includes(t))).toEqual([])
        const up = await migrateToLatest(store.db, store.flavor)
        expect(up.map((r) => [r.migrationName, r.status])).toEqual([
          ['0001_initial', 'Success'],
          ['0002_schedule_due_at', 'Success'],
          ['0003_callback_id_unique', 'Success'],
          ['0004_process_recoveries', 'Success'],
          ['0005_listing_indexes', 'Success'],
        ])
      } finally {
        await store.close()
        await scratch?.drop()
      }
    })
  })
}

describe('migrations on mysql, from two processes at once', () => {
  it('apply once; the second waits for the migration lock and finds nothing to do', async () => {
    const scratch = await createScratchDatabase()
    try {
      const stores = await Promise.all([openRuntime(scratch.url), openRuntime(scratch.url)])
      await Promise.all(stores.map((s) => s.close()))
    } finally {
      await scratch.drop()
    }
  })
})
