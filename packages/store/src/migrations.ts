import { type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, sql } from 'kysely'
import { type Migration, type MigrationResult, Migrator } from 'kysely/migration'
import { StoreError } from './errors.js'

/** The SQL dialects the store speaks. */
export type SqlFlavor = 'mysql' | 'sqlite'

/** The table Kysely's migrator records applied migrations in. */
export const MIGRATION_TABLE = 'culm_migrations'
const MIGRATION_LOCK_TABLE = 'culm_migrations_lock'

// biome-ignore lint/suspicious/noExplicitAny: migrations predate the typed schema
type AnyDb = Kysely<any>

function types(flavor: SqlFlavor) {
  const mysql = flavor === 'mysql'
  return {
    id: 'varchar(128)',
    short: 'varchar(32)',
    json: mysql ? sql`longtext` : 'text',
    flag: mysql ? sql`tinyint` : 'integer',
    int: 'integer',
    time: 'bigint',
    seq: mysql ? 'bigint' : 'integer',
  } as const
}

function initial(flavor: SqlFlavor): Migration {
  const t = types(flavor)
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull()
  const seq = (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement()
  // Binary collation: ids and keys compare exactly, as they do in the memory runtime.
  const finish = <T extends string, C extends string>(table: CreateTableBuilder<T, C>) =>
    flavor === 'mysql'
      ? table.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`)
      : table
  return {
    async up(db: AnyDb) {
      await finish(
        db.schema
          .createTable('culm_pipelines')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('tree', t.json, notNull)
          .addColumn('root_pipeline_data', t.json, notNull)
          .addColumn('created_time', t.time, notNull),
      ).execute()

      await finish(
        db.schema
          .createTable('culm_processes')
          .addColumn('seq', t.seq, seq)
          .addColumn('id', t.id, notNull)
          .addColumn('root_pipeline_id', t.id, notNull)
          .addColumn('parent_id', t.id)
          .addColumn('destination_id', t.id)
          .addColumn('current_node_id', t.id, notNull)
          .addColumn('pipeline_stack', t.json, notNull)
          .addColumn('asleep', t.flag, notNull)
          .addColumn('suspended', t.flag, notNull)
          .addColumn('suspended_by', t.id)
          .addColumn('dead', t.flag, notNull)
          .addColumn('ack_num', t.int, notNull)
          .addColumn('need_ack', t.int, notNull)
          .addUniqueConstraint('culm_processes_id_uq', ['id']),
      ).execute()
      for (const column of ['current_node_id', 'suspended_by', 'root_pipeline_id', 'parent_id']) {
        await db.schema
          .createIndex(`culm_processes_${column}_idx`)
          .on('culm_processes')
          .column(column)
          .execute()
      }

      await finish(
        db.schema
          .createTable('culm_nodes')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('detail', t.json, notNull),
      ).execute()

      await finish(
        db.schema
          .createTable('culm_states')
          .addColumn('seq', t.seq, seq)
          .addColumn('node_id', t.id, notNull)
          .addColumn('root_id', t.id, notNull)
          .addColumn('parent_id', t.id, notNull)
          .addColumn('name', t.short, notNull)
          .addColumn('version', t.id, notNull)
          .addColumn('loop', t.int, notNull)
          .addColumn('inner_loop', t.int, notNull)
          .addColumn('retry', t.int, notNull)
          .addColumn('skip', t.flag, notNull)
          .addColumn('error_ignored', t.flag, notNull)
          .addColumn('created_time', t.time, notNull)
          .addColumn('started_time', t.time)
          .addColumn('archived_time', t.time)
          .addUniqueConstraint('culm_states_node_id_uq', ['node_id']),
      ).execute()
      for (const column of ['root_id', 'parent_id']) {
        await db.schema
          .createIndex(`culm_states_${column}_idx`)
          .on('culm_states')
          .column(column)
          .execute()
      }

      for (const table of ['culm_data', 'culm_execution_data']) {
        await finish(
          db.schema
            .createTable(table)
            .addColumn('node_id', t.id, (c) => c.primaryKey())
            .addColumn('inputs', t.json, notNull)
            .addColumn('outputs', t.json, notNull),
        ).execute()
      }

      await finish(
        db.schema
          .createTable('culm_context_values')
          .addColumn('seq', t.seq, seq)
          .addColumn('pipeline_id', t.id, notNull)
          .addColumn('key', 'varchar(255)', notNull)
          .addColumn('type', t.short, notNull)
          .addColumn('value', t.json)
          .addColumn('custom_type', t.id)
          .addUniqueConstraint('culm_context_values_pipeline_key_uq', ['pipeline_id', 'key']),
      ).execute()

      await finish(
        db.schema
          .createTable('culm_schedules')
          .addColumn('seq', t.seq, seq)
          .addColumn('id', t.id, notNull)
          .addColumn('type', t.short, notNull)
          .addColumn('process_id', t.id, notNull)
          .addColumn('node_id', t.id, notNull)
          .addColumn('version', t.id, notNull)
          .addColumn('finished', t.flag, notNull)
          .addColumn('expired', t.flag, notNull)
          .addColumn('scheduling', t.flag, notNull)
          .addColumn('times', t.int, notNull)
          .addUniqueConstraint('culm_schedules_id_uq', ['id']),
      ).execute()
      await db.schema
        .createIndex('culm_schedules_node_version_idx')
        .on('culm_schedules')
        .columns(['node_id', 'version'])
        .execute()

      await finish(
        db.schema
          .createTable('culm_callbacks')
          .addColumn('seq', t.seq, seq)
          .addColumn('id', t.id, notNull)
          .addColumn('schedule_id', t.id, notNull)
          .addColumn('node_id', t.id, notNull)
          .addColumn('version', t.id, notNull)
          .addColumn('data', t.json)
          .addColumn('consumed', t.flag, notNull),
      ).execute()
      await db.schema
        .createIndex('culm_callbacks_schedule_consumed_idx')
        .on('culm_callbacks')
        .columns(['schedule_id', 'consumed'])
        .execute()

      await finish(
        db.schema
          .createTable('culm_histories')
          .addColumn('id', t.seq, seq)
          .addColumn('node_id', t.id, notNull)
          .addColumn('loop', t.int, notNull)
          .addColumn('retry', t.int, notNull)
          .addColumn('skip', t.flag, notNull)
          .addColumn('version', t.id, notNull)
          .addColumn('started_time', t.time)
          .addColumn('archived_time', t.time)
          .addColumn('inputs', t.json, notNull)
          .addColumn('outputs', t.json, notNull),
      ).execute()
      await db.schema
        .createIndex('culm_histories_node_id_idx')
        .on('culm_histories')
        .column('node_id')
        .execute()
    },
    async down(db: AnyDb) {
      for (const table of [
        'culm_histories',
        'culm_callbacks',
        'culm_schedules',
        'culm_context_values',
        'culm_execution_data',
        'culm_data',
        'culm_states',
        'culm_nodes',
        'culm_processes',
        'culm_pipelines',
      ]) {
        await db.schema.dropTable(table).ifExists().execute()
      }
    },
  }
}

/** Schedules remember when they are due, so that a restarted worker can pick them up. */
/** Drops an index; MySQL names the table it is on. */
async function dropIndex(db: AnyDb, flavor: SqlFlavor, table: string, index: string) {
  const drop = db.schema.dropIndex(index)
  await (flavor === 'mysql' ? drop.on(table) : drop).execute()
}

function scheduleDueAt(flavor: SqlFlavor): Migration {
  return {
    async up(db) {
      await db.schema.alterTable('culm_schedules').addColumn('due_at', 'bigint').execute()
      await db.schema
        .createIndex('culm_schedules_pending_idx')
        .on('culm_schedules')
        .columns(['finished', 'expired'])
        .execute()
    },
    async down(db) {
      await dropIndex(db, flavor, 'culm_schedules', 'culm_schedules_pending_idx')
      await db.schema.alterTable('culm_schedules').dropColumn('due_at').execute()
    },
  }
}

/** A callback id is unique: a node waiting for one callback takes it under a fixed id. */
function callbackIdUnique(flavor: SqlFlavor): Migration {
  return {
    async up(db) {
      await db.schema
        .createIndex('culm_callbacks_id_idx')
        .on('culm_callbacks')
        .column('id')
        .unique()
        .execute()
    },
    async down(db) {
      await dropIndex(db, flavor, 'culm_callbacks', 'culm_callbacks_id_idx')
    },
  }
}

/** Processes remember where `recover()` last picked them up, and how often in a row. */
function processRecoveries(): Migration {
  return {
    async up(db) {
      await db.schema
        .alterTable('culm_processes')
        .addColumn('recovered_at', 'varchar(128)')
        .execute()
      await db.schema
        .alterTable('culm_processes')
        .addColumn('recoveries', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
    },
    async down(db) {
      await db.schema.alterTable('culm_processes').dropColumn('recoveries').execute()
      await db.schema.alterTable('culm_processes').dropColumn('recovered_at').execute()
    },
  }
}

/**
 * Indexes for reading runs as lists: pipelines newest first, and nodes by state and start time
 * (the console's run list and its stuck-run query, which looks for nodes RUNNING for long).
 */
function listingIndexes(flavor: SqlFlavor): Migration {
  return {
    async up(db) {
      await db.schema
        .createIndex('culm_pipelines_created_time_idx')
        .on('culm_pipelines')
        .column('created_time')
        .execute()
      await db.schema
        .createIndex('culm_states_name_started_idx')
        .on('culm_states')
        .columns(['name', 'started_time'])
        .execute()
    },
    async down(db) {
      for (const [table, index] of [
        ['culm_states', 'culm_states_name_started_idx'],
        ['culm_pipelines', 'culm_pipelines_created_time_idx'],
      ] as const) {
        await dropIndex(db, flavor, table, index)
      }
    },
  }
}

/** The store's migrations, by name, in the order they apply. */
export function storeMigrations(flavor: SqlFlavor): Record<string, Migration> {
  return {
    '0001_initial': initial(flavor),
    '0002_schedule_due_at': scheduleDueAt(flavor),
    '0003_callback_id_unique': callbackIdUnique(flavor),
    '0004_process_recoveries': processRecoveries(),
    '0005_listing_indexes': listingIndexes(flavor),
  }
}

/** A migrator over the store's migrations (kept in code, no migration folder). */
export function createMigrator(db: AnyDb, flavor: SqlFlavor): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => storeMigrations(flavor) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  })
}

/**
 * Brings the schema to the latest migration; does nothing when it is there already, so it is
 * safe on every start. Answers the migrations applied by this call.
 */
export async function migrateToLatest(db: AnyDb, flavor: SqlFlavor): Promise<MigrationResult[]> {
  const { error, results } = await createMigrator(db, flavor).migrateToLatest()
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    const detail = error instanceof Error ? error.message : String(error)
    throw new StoreError(
      'MIGRATION_FAILED',
      `migration ${failed ?? 'to latest'} failed: ${detail}`,
      { cause: error },
    )
  }
  return results ?? []
}
