export { STORE_ERROR_CODES, StoreError, type StoreErrorCode } from './errors.js'
export { KyselyRuntime, type KyselyRuntimeOptions, type NodeWithData } from './kysely-runtime.js'
export {
  createMigrator,
  MIGRATION_TABLE,
  migrateToLatest,
  type SqlFlavor,
  storeMigrations,
} from './migrations.js'
export {
  type DatabaseUrl,
  DEFAULT_DATABASE_URL,
  maskUrl,
  type OpenedRuntime,
  type OpenRuntimeOptions,
  openRuntime,
  openRuntimeFromEnv,
  parseDatabaseUrl,
} from './open-runtime.js'
export type { StoreDatabase } from './schema.js'
