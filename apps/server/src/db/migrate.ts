import type { Kysely } from 'kysely'
import { type Migration, Migrator } from 'kysely/migration'
import { ServerError } from '../errors.js'
import { initialMigration } from './migrations/0001-users-tokens-pipelines.js'
import { projectsTasksMigration } from './migrations/0002-projects-tasks.js'
import { leaseMigration } from './migrations/0003-lease.js'
import { offlineMigration } from './migrations/0004-offline.js'

/** The tables Kysely's migrator records the server's migrations in, apart from the store's. */
export const SERVER_MIGRATION_TABLE = 'culm_server_migration'
export const SERVER_MIGRATION_LOCK_TABLE = 'culm_server_migration_lock'

/** The server's migrations, oldest first. */
export function serverMigrations(flavor: 'mysql' | 'sqlite'): Record<string, Migration> {
  return {
    '0001-users-tokens-pipelines': initialMigration(flavor),
    '0002-projects-tasks': projectsTasksMigration(flavor),
    '0003-lease': leaseMigration(),
    '0004-offline': offlineMigration(flavor),
  }
}

/** Brings the server's tables to the latest migration; safe to run on every start. */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function migrateServer(db: Kysely<any>, flavor: 'mysql' | 'sqlite'): Promise<void> {
  const migrations = serverMigrations(flavor)
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: SERVER_MIGRATION_TABLE,
    migrationLockTableName: SERVER_MIGRATION_LOCK_TABLE,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new ServerError('CONFIGURATION', `server migration ${failed} failed: ${String(error)}`, {
      cause: error,
    })
  }
}
