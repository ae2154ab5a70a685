import { type CreateTableBuilder, type Kysely, sql } from 'kysely'
import type { Migration } from 'kysely/migration'

/** The offline surface: engine keys, DAG templates with their schedules, runs and job files. */
export function offlineMigration(flavor: 'mysql' | 'sqlite'): Migration {
  const mysql = flavor === 'mysql'
  const finish = <T extends string, C extends string>(table: CreateTableBuilder<T, C>) =>
    mysql ? table.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : table
  const seq = mysql ? 'bigint' : 'integer'
  const flag = mysql ? sql`tinyint` : 'integer'
  const text = mysql ? sql`longtext` : 'text'
  const blob = mysql ? sql`longblob` : 'blob'
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations predate the typed schema
    async up(db: Kysely<any>) {
      await finish(
        db.schema
          .createTable('culm_offline_engine')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('engine_key', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('created_at', 'bigint', (c) => c.notNull()),
      ).execute()
      await finish(
        db.schema
          .createTable('culm_offline_template')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('engine_id', seq, (c) => c.notNull())
          .addColumn('pipeline_key', 'varchar(128)', (c) => c.notNull())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('body', text, (c) => c.notNull())
          .addColumn('creator_id', seq, (c) => c.notNull())
          .addColumn('schedule_on', flag, (c) => c.notNull())
          .addColumn('next_tick_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('culm_offline_template_key', ['engine_id', 'pipeline_key']),
      ).execute()
      await db.schema
        .createIndex('culm_offline_template_due')
        .on('culm_offline_template')
        .columns(['schedule_on', 'next_tick_at'])
        .execute()
      await finish(
        db.schema
          .createTable('culm_offline_run')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('template_id', seq, (c) => c.notNull())
          .addColumn('pipeline_id', 'varchar(128)', (c) => c.notNull().unique())
          .addColumn('node_map', text, (c) => c.notNull())
          .addColumn('params', text, (c) => c.notNull())
          .addColumn('trigger_kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('tick_at', 'bigint')
          .addColumn('deadline_at', 'bigint')
          .addColumn('timed_out', flag, (c) => c.notNull())
          .addColumn('resumed_from', seq)
          .addColumn('user_id', seq, (c) => c.notNull())
          .addColumn('server', 'varchar(255)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('culm_offline_run_tick', ['template_id', 'tick_at']),
      ).execute()
      await db.schema
        .createIndex('culm_offline_run_template')
        .on('culm_offline_run')
        .columns(['template_id', 'id'])
        .execute()
      await db.schema
        .createIndex('culm_offline_run_deadline')
        .on('culm_offline_run')
        .column('deadline_at')
        .execute()
      await finish(
        db.schema
          .createTable('culm_offline_file')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('param', 'varchar(64)', (c) => c.notNull())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
          .addColumn('content', blob)
          .addColumn('path', 'varchar(1024)')
          .addColumn('user_id', seq, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull()),
      ).execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations predate the typed schema
    async down(db: Kysely<any>) {
      for (const table of [
        'culm_offline_file',
        'culm_offline_run',
        'culm_offline_template',
        'culm_offline_engine',
      ]) {
        await db.schema.dropTable(table).execute()
      }
    },
  }
}
