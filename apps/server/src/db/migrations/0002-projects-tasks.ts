import { type CreateTableBuilder, type Kysely, sql } from 'kysely'
import type { Migration } from 'kysely/migration'

/** Registered apps, projects and their members, tasks, and the operation log. */
export function projectsTasksMigration(flavor: 'mysql' | 'sqlite'): Migration {
  const mysql = flavor === 'mysql'
  const finish = <T extends string, C extends string>(table: CreateTableBuilder<T, C>) =>
    mysql ? table.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : table
  const seq = mysql ? 'bigint' : 'integer'
  const flag = mysql ? sql`tinyint` : 'integer'
  const text = mysql ? sql`longtext` : 'text'
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations predate the typed schema
    async up(db: Kysely<any>) {
      await finish(
        db.schema
          .createTable('culm_server_app')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('code', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('secret_hash', 'varchar(255)', (c) => c.notNull())
          .addColumn('whitelisted', flag, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull()),
      ).execute()
      await finish(
        db.schema
          .createTable('culm_server_project')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('name', 'varchar(128)', (c) => c.notNull())
          .addColumn('description', 'varchar(1024)', (c) => c.notNull())
          .addColumn('bk_biz_id', seq, (c) => c.notNull().unique())
          .addColumn('created_at', 'bigint', (c) => c.notNull()),
      ).execute()
      await finish(
        db.schema
          .createTable('culm_server_project_member')
          .addColumn('project_id', seq, (c) => c.notNull())
          .addColumn('user_id', seq, (c) => c.notNull())
          .addPrimaryKeyConstraint('culm_server_project_member_pk', ['project_id', 'user_id']),
      ).execute()
      await finish(
        db.schema
          .createTable('culm_server_task')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('project_id', seq, (c) => c.notNull())
          .addColumn('name', 'varchar(128)', (c) => c.notNull())
          .addColumn('description', 'varchar(1024)', (c) => c.notNull())
          .addColumn('category', 'varchar(32)', (c) => c.notNull())
          .addColumn('flow_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('engine_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('pipeline_id', 'varchar(128)', (c) => c.notNull().unique())
          .addColumn('pipeline_tree', text, (c) => c.notNull())
          .addColumn('creator_id', seq, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('started_at', 'bigint'),
      ).execute()
      await db.schema
        .createIndex('culm_server_task_project')
        .on('culm_server_task')
        .columns(['project_id', 'id'])
        .execute()
      await finish(
        db.schema
          .createTable('culm_server_operation')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('project_id', seq, (c) => c.notNull())
          .addColumn('task_id', seq)
          .addColumn('node_id', 'varchar(128)')
          .addColumn('user_id', seq, (c) => c.notNull())
          .addColumn('app_code', 'varchar(64)', (c) => c.notNull())
          .addColumn('operation', 'varchar(64)', (c) => c.notNull())
          .addColumn('detail', text, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull()),
      ).execute()
      await db.schema
        .createIndex('culm_server_operation_task')
        .on('culm_server_operation')
        .columns(['task_id', 'id'])
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations predate the typed schema
    async down(db: Kysely<any>) {
      await db.schema.dropTable('culm_server_operation').execute()
      await db.schema.dropTable('culm_server_task').execute()
      await db.schema.dropTable('culm_server_project_member').execute()
      await db.schema.dropTable('culm_server_project').execute()
      await db.schema.dropTable('culm_server_app').execute()
    },
  }
}
